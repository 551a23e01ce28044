//! The result BuildKit exports: one ref and image config, or (for several platforms, or
//! when the client asks) a ref and a config per platform with the platform list the
//! exporter expects.

use super::inputs::CONFIG_KEY;
use crate::image::Image;
use crate::platform::Platform;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use std::collections::HashMap;

/// One platform's solved graph and its image config.
pub(super) struct Solved {
    pub platform: Platform,
    pub reference: fe::Ref,
    pub image: Image,
}

/// Assembles the result; `force_multi` is the client's `multi-platform=true`.
pub(super) fn assemble(solved: Vec<Solved>, force_multi: bool, epoch: Option<u64>) -> fe::Result {
    let mut result = if solved.len() == 1 && !force_multi {
        single(solved.into_iter().next().expect("one result"))
    } else {
        per_platform(solved)
    };
    if let Some(epoch) = epoch {
        result.metadata.insert(
            "source.date.epoch".to_owned(),
            epoch.to_string().into_bytes(),
        );
    }
    result
}

fn single(solved: Solved) -> fe::Result {
    let mut result = fe::Result::default();
    result
        .metadata
        .insert(CONFIG_KEY.to_owned(), solved.image.to_json());
    result.result = Some(fe::result::Result::Ref(solved.reference));
    result
}

fn per_platform(solved: Vec<Solved>) -> fe::Result {
    let mut result = fe::Result::default();
    let mut refs = HashMap::new();
    let mut listed = Vec::new();
    for Solved {
        platform,
        reference,
        image,
    } in solved
    {
        let id = platform.to_string();
        result
            .metadata
            .insert(format!("{CONFIG_KEY}/{id}"), image.to_json());
        let mut p = serde_json::json!({ "architecture": platform.arch, "os": platform.os });
        if let Some(v) = &platform.variant {
            p["variant"] = serde_json::json!(v);
        }
        listed.push(serde_json::json!({ "ID": id, "Platform": p }));
        refs.insert(id, reference);
    }
    let platforms = serde_json::json!({ "Platforms": listed });
    result.metadata.insert(
        "refs.platforms".to_owned(),
        serde_json::to_vec(&platforms).expect("json"),
    );
    result.result = Some(fe::result::Result::Refs(fe::RefMap { refs }));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solved(platform: &Platform, id: &str) -> Solved {
        Solved {
            platform: platform.clone(),
            reference: fe::Ref {
                id: id.into(),
                def: None,
            },
            image: Image::scratch(platform),
        }
    }

    #[test]
    fn one_platform_gives_a_single_ref_and_config() {
        let p = Platform::linux_amd64();
        let r = assemble(vec![solved(&p, "a")], false, None);
        assert!(matches!(r.result, Some(fe::result::Result::Ref(ref x)) if x.id == "a"));
        assert!(r.metadata.contains_key(CONFIG_KEY));
        assert!(!r.metadata.contains_key("refs.platforms"));
        assert!(!r.metadata.contains_key("source.date.epoch"));
    }

    #[test]
    fn several_platforms_give_a_ref_and_config_each() {
        let amd = Platform::linux_amd64();
        let arm = Platform::parse("linux/arm/v7").unwrap();
        let r = assemble(vec![solved(&amd, "a"), solved(&arm, "b")], false, Some(7));
        let Some(fe::result::Result::Refs(map)) = &r.result else {
            panic!("{:?}", r.result)
        };
        assert_eq!(map.refs["linux/amd64"].id, "a");
        assert_eq!(map.refs["linux/arm/v7"].id, "b");
        assert!(
            r.metadata
                .contains_key("containerimage.config/linux/arm/v7")
        );
        let listed: serde_json::Value =
            serde_json::from_slice(&r.metadata["refs.platforms"]).unwrap();
        assert_eq!(listed["Platforms"][1]["ID"], "linux/arm/v7");
        assert_eq!(listed["Platforms"][1]["Platform"]["variant"], "v7");
        assert_eq!(r.metadata["source.date.epoch"], b"7");
        let forced = assemble(vec![solved(&amd, "a")], true, None);
        assert!(matches!(forced.result, Some(fe::result::Result::Refs(_))));
    }
}

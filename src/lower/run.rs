//! Lowering of `run` steps: one exec op with its environment, user, working directory,
//! network and security modes, and a mount for each cache, secret, ssh socket, tmpfs and
//! bind.

use super::*;

impl Lowering<'_> {
    pub(super) fn run(
        &mut self,
        fs: Option<Output>,
        image: &mut Image,
        run: &RunStep,
        run_env: &[(String, String)],
        platform: &pb::Platform,
        meta: impl Fn(String) -> Meta,
    ) -> Output {
        let args = argv(image, &run.command);
        let shown = match &run.command {
            Command::Shell(text) => format!("RUN {}", text.trim()),
            Command::Exec(a) => format!("RUN {a:?}"),
        };
        let mut env = image.process_env();
        let set = |env: &mut Vec<String>, k: &str, v: &str| {
            env.retain(|e| e.split_once('=').is_none_or(|(n, _)| n != k));
            env.push(format!("{k}={v}"));
        };
        // The step's args and env replace inherited variables of the same name; one pass,
        // as both lists can be long.
        let own: std::collections::BTreeSet<&str> =
            run_env.iter().map(|(k, _)| k.as_str()).collect();
        env.retain(|e| e.split_once('=').is_none_or(|(n, _)| !own.contains(n)));
        env.extend(run_env.iter().map(|(k, v)| format!("{k}={v}")));
        self.graph_bytes += args.iter().chain(&env).map(|s| cost(s)).sum::<usize>();
        let cwd = match &run.workdir {
            Some(w) => join(&current_dir(image), w),
            None => current_dir(image),
        };
        let user = run
            .user
            .clone()
            .unwrap_or_else(|| image.config.user.clone());
        let mut exec_meta = pb::Meta {
            args,
            cwd,
            user,
            remove_mount_stubs_recursive: true,
            ..Default::default()
        };
        let mut exec = llb::Exec::new(fs, pb::Meta::default(), platform.clone());
        exec.proxy_env = self.proxy.clone();
        let mut ssh_count = 0;
        for m in &run.mounts {
            match m {
                RunMount::Cache {
                    target,
                    id,
                    sharing,
                    from,
                    mode,
                    uid,
                    gid,
                } => {
                    let sharing = match sharing {
                        Sharing::Shared => pb::CacheSharingOpt::Shared,
                        Sharing::Private => pb::CacheSharingOpt::Private,
                        Sharing::Locked => pb::CacheSharingOpt::Locked,
                    };
                    let (source, selector) =
                        match (from, mode.is_some() || uid.is_some() || gid.is_some()) {
                            (Some((src, path)), _) => {
                                (self.source_fs(src, platform), clean_abs(path))
                            }
                            (None, true) => {
                                // Ownership and mode of a fresh cache come from a seed directory.
                                let mut op = FileOp::on(None);
                                op.mkdir(pb::FileActionMkDir {
                                    path: "/cache".into(),
                                    mode: mode.unwrap_or(0o755) as i32,
                                    make_parents: true,
                                    owner: Some(owner_opt(&crate::plan::Owner::ids(
                                        uid.unwrap_or(0),
                                        gid.unwrap_or(0),
                                    ))),
                                    timestamp: -1,
                                });
                                (Some(op.done(Meta::default())), "/cache".to_owned())
                            }
                            (None, false) => (None, String::new()),
                        };
                    let selector = if selector == "/" {
                        String::new()
                    } else {
                        selector
                    };
                    exec.mounts.push(ExecMount {
                        dest: target.clone(),
                        source,
                        selector,
                        readonly: false,
                        kind: MountKind::Cache {
                            id: id.clone(),
                            sharing,
                        },
                    });
                }
                RunMount::Secret {
                    id,
                    target,
                    env: env_name,
                    required,
                    mode,
                    uid,
                    gid,
                } => {
                    if let Some(name) = env_name {
                        exec.secret_env.push(pb::SecretEnv {
                            id: id.clone(),
                            name: name.clone(),
                            optional: !required,
                        });
                    }
                    if target.is_some() || env_name.is_none() {
                        let dest = target
                            .clone()
                            .unwrap_or_else(|| format!("/run/secrets/{}", basename(id)));
                        exec.mounts.push(ExecMount {
                            dest,
                            source: None,
                            selector: String::new(),
                            readonly: true,
                            kind: MountKind::Secret(pb::SecretOpt {
                                id: id.clone(),
                                uid: *uid,
                                gid: *gid,
                                mode: *mode,
                                optional: !required,
                            }),
                        });
                    }
                }
                RunMount::Ssh {
                    id,
                    target,
                    required,
                } => {
                    let dest = target
                        .clone()
                        .unwrap_or_else(|| format!("/run/buildkit/ssh_agent.{ssh_count}"));
                    ssh_count += 1;
                    if ssh_count == 1 {
                        set(&mut env, "SSH_AUTH_SOCK", &dest);
                    }
                    exec.mounts.push(ExecMount {
                        dest,
                        source: None,
                        selector: String::new(),
                        readonly: true,
                        kind: MountKind::Ssh(pb::SshOpt {
                            id: id.clone(),
                            uid: 0,
                            gid: 0,
                            mode: 0o600,
                            optional: !required,
                        }),
                    });
                }
                RunMount::Tmpfs { target, size } => exec.mounts.push(ExecMount {
                    dest: target.clone(),
                    source: None,
                    selector: String::new(),
                    readonly: false,
                    kind: MountKind::Tmpfs { size: *size },
                }),
                RunMount::Bind {
                    from,
                    source,
                    target,
                    rw,
                } => {
                    let src = self.source_fs(from, platform);
                    let selector = clean_abs(source);
                    exec.mounts.push(ExecMount {
                        dest: target.clone(),
                        source: src,
                        selector: if selector == "/" {
                            String::new()
                        } else {
                            selector
                        },
                        readonly: !rw,
                        kind: MountKind::Bind,
                    });
                }
            }
        }
        exec_meta.env = env;
        exec.meta = exec_meta;
        exec.network = match run.network {
            Network::Default => pb::NetMode::Unset,
            Network::None => pb::NetMode::None,
            Network::Host => pb::NetMode::Host,
        };
        exec.security = match run.security {
            Security::Sandbox => pb::SecurityMode::Sandbox,
            Security::Insecure => pb::SecurityMode::Insecure,
        };
        // History shows the command with the args it received, as Dockerfile history does.
        let args_note: Vec<String> = run_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let prefix = if args_note.is_empty() {
            String::new()
        } else {
            format!("|{} {} ", args_note.len(), args_note.join(" "))
        };
        image.add_history(format!("{prefix}{shown} # stagefile"), false);
        exec.run(meta(shown))
    }
}

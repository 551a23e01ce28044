//! Owners of what `copy`, `add`, `file` and a stage's workdir write: numbers, or names
//! BuildKit looks up in the stage's own /etc/passwd and /etc/group.

/// Who owns what a `copy`, `add` or `file` step writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user: Id,
    /// `None`: only a user name was given; BuildKit takes the group from its entry, as
    /// `COPY --chown=name` does.
    pub group: Option<Id>,
}

/// A numeric id, or a name BuildKit looks up in the destination's /etc/passwd or /etc/group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    Number(u32),
    Name(String),
}

impl Owner {
    /// Numeric ids, which need no lookup.
    pub fn ids(uid: u32, gid: u32) -> Owner {
        Owner {
            user: Id::Number(uid),
            group: Some(Id::Number(gid)),
        }
    }

    pub fn has_names(&self) -> bool {
        matches!(self.user, Id::Name(_)) || matches!(self.group, Some(Id::Name(_)))
    }

    /// `user[:group]`, each a number or a name. A lone number is used for both; a lone
    /// name leaves the group to BuildKit (the user's own group), as a Dockerfile does.
    pub fn parse(text: &str) -> Option<Owner> {
        let (user, group) = match text.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (text, None),
        };
        match (Id::parse(user)?, group.map(Id::parse)) {
            (Id::Number(n), None) => Some(Owner::ids(n, n)),
            (user, None) => Some(Owner { user, group: None }),
            (user, Some(group)) => Some(Owner {
                user,
                group: Some(group?),
            }),
        }
    }
}

impl Id {
    /// A uid/gid or a user/group name as `useradd` accepts it: letters, digits, `_`, `.`
    /// and `-`, not starting with `-` or a digit-only run (that is a number), at most 32
    /// bytes. `root` is always id 0, so it needs no lookup (and works on an empty stage).
    fn parse(text: &str) -> Option<Id> {
        if let Ok(n) = text.parse::<u32>() {
            return Some(Id::Number(n));
        }
        if text == "root" {
            return Some(Id::Number(0));
        }
        let valid = !text.is_empty()
            && text.len() <= 32
            && !text.starts_with('-')
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        valid.then(|| Id::Name(text.to_owned()))
    }
}

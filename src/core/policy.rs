//! The permission policy (`docs/contract.md`), in one place.
//!
//! Everything here is a pure function of facts the store gathers about a caller and a
//! namespace or repository, so the whole matrix is unit-tested without a database. The only
//! other statement of these rules is the store's SQL visibility filter for listings
//! (`store::repos::VISIBLE`), which a test holds against [`repository_level`].

use serde::{Deserialize, Serialize};

use crate::core::model::Account;

/// Access levels, additive: the highest grant wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "read-only")]
    ReadOnly,
    #[serde(rename = "read-write")]
    ReadWrite,
    #[serde(rename = "admin")]
    Admin,
}

impl Level {
    /// A grant level as the APIs write it (`none` is not a grant).
    pub fn parse_grant(s: &str) -> Option<Level> {
        match s {
            "read-only" => Some(Level::ReadOnly),
            "read-write" => Some(Level::ReadWrite),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::ReadOnly => "read-only",
            Level::ReadWrite => "read-write",
            Level::Admin => "admin",
        }
    }

    /// The numeric rank the store uses to take a maximum in SQL (0 = none).
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(rank: i64) -> Level {
        match rank {
            r if r >= 3 => Level::Admin,
            2 => Level::ReadWrite,
            1 => Level::ReadOnly,
            _ => Level::None,
        }
    }

    pub fn can_read(self) -> bool {
        self >= Level::ReadOnly
    }

    pub fn can_write(self) -> bool {
        self >= Level::ReadWrite
    }

    pub fn is_admin(self) -> bool {
        self == Level::Admin
    }
}

/// Who is asking, as far as permissions go. `None` stands for anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub is_admin: bool,
    pub is_active: bool,
}

/// The user of an account as the policy sees it: how a credential (`auth`) or a web session
/// (`ui::session`) names its caller.
impl From<&Account> for Caller {
    fn from(user: &Account) -> Self {
        Caller {
            user_id: user.id,
            is_admin: user.is_admin,
            is_active: user.is_active,
        }
    }
}

/// Who owns a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    User { id: i64 },
    Organization { library: bool },
}

/// What the store knows about the caller's relation to one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceFacts {
    pub owner: Owner,
    /// The caller is a member of the organization's `owners` team.
    pub caller_in_owners: bool,
    /// The caller belongs to some team of the organization (with or without grants).
    pub caller_is_member: bool,
    /// The highest namespace grant of the caller's teams in this organization.
    pub namespace_grant: Level,
}

impl NamespaceFacts {
    pub fn user(id: i64) -> Self {
        NamespaceFacts {
            owner: Owner::User { id },
            caller_in_owners: false,
            caller_is_member: false,
            namespace_grant: Level::None,
        }
    }
}

/// What the store knows about the caller's relation to one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepositoryFacts {
    pub namespace: NamespaceFacts,
    pub is_public: bool,
    /// The caller's own grant on the repository (user-owned repositories).
    pub user_grant: Level,
    /// The highest grant of the caller's teams on the repository.
    pub team_grant: Level,
}

/// An authenticated, active caller; inactive accounts count as anonymous.
fn active(caller: Option<&Caller>) -> Option<&Caller> {
    caller.filter(|c| c.is_active)
}

/// The caller's level on a whole namespace: `admin` may create repositories there (subject
/// to [`may_create_repository`]) and administer every repository in it.
pub fn namespace_level(caller: Option<&Caller>, ns: &NamespaceFacts) -> Level {
    let Some(caller) = active(caller) else {
        return Level::None;
    };
    if caller.is_admin {
        return Level::Admin;
    }
    match ns.owner {
        Owner::User { id } if id == caller.user_id => Level::Admin,
        Owner::User { .. } => Level::None,
        Owner::Organization { .. } if ns.caller_in_owners => Level::Admin,
        Owner::Organization { .. } => ns.namespace_grant,
    }
}

/// The caller's effective level on a repository.
pub fn repository_level(caller: Option<&Caller>, repo: &RepositoryFacts) -> Level {
    let public = if repo.is_public {
        Level::ReadOnly
    } else {
        Level::None
    };
    if active(caller).is_none() {
        return public;
    }
    let granted = match repo.namespace.owner {
        Owner::User { .. } => repo.user_grant,
        Owner::Organization { .. } => repo.team_grant,
    };
    public
        .max(namespace_level(caller, &repo.namespace))
        .max(granted)
}

/// Whether the caller may create repositories in the namespace. `library` is for site
/// admins only, whatever teams say.
pub fn may_create_repository(caller: Option<&Caller>, ns: &NamespaceFacts) -> bool {
    match ns.owner {
        Owner::Organization { library: true } => active(caller).is_some_and(|c| c.is_admin),
        _ => namespace_level(caller, ns).is_admin(),
    }
}

/// Whether the caller may manage an organization's teams and members (owners, site admins).
pub fn may_manage_organization(caller: Option<&Caller>, ns: &NamespaceFacts) -> bool {
    let Some(caller) = active(caller) else {
        return false;
    };
    caller.is_admin || (matches!(ns.owner, Owner::Organization { .. }) && ns.caller_in_owners)
}

/// Whether the caller may see an organization's team list (members, site admins).
pub fn may_see_teams(caller: Option<&Caller>, ns: &NamespaceFacts) -> bool {
    let Some(caller) = active(caller) else {
        return false;
    };
    caller.is_admin || ns.caller_is_member || ns.caller_in_owners
}

/// Whether the caller may act on an account's own settings (self, or a site admin).
pub fn may_manage_account(caller: Option<&Caller>, account_id: i64) -> bool {
    active(caller).is_some_and(|c| c.is_admin || c.user_id == account_id)
}

/// Whether the caller is an active site admin.
pub fn is_site_admin(caller: Option<&Caller>) -> bool {
    active(caller).is_some_and(|c| c.is_admin)
}

/// Whether the caller may see the members of one team (and that team's grants): site
/// admins, the organization's owners and the team's own members. Other members of the
/// organization see that the team exists, not who is in it.
pub fn may_see_team_members(
    caller: Option<&Caller>,
    ns: &NamespaceFacts,
    caller_in_team: bool,
) -> bool {
    let Some(caller) = active(caller) else {
        return false;
    };
    caller.is_admin || ns.caller_in_owners || caller_in_team
}

/// Whether the caller may list and change the teams' grants on a whole organization
/// namespace: whoever is admin of the namespace.
pub fn may_manage_namespace_access(caller: Option<&Caller>, ns: &NamespaceFacts) -> bool {
    matches!(ns.owner, Owner::Organization { .. }) && namespace_level(caller, ns).is_admin()
}

/// Whether the caller may read one team's grant on its organization's namespace: the
/// namespace's admins and the team's own members.
pub fn may_see_namespace_grant(
    caller: Option<&Caller>,
    ns: &NamespaceFacts,
    caller_in_team: bool,
) -> bool {
    may_manage_namespace_access(caller, ns) || (active(caller).is_some() && caller_in_team)
}

/// Whether the caller may create organizations, activate, deactivate and delete accounts:
/// site admins only.
pub fn may_administer_accounts(caller: Option<&Caller>) -> bool {
    is_site_admin(caller)
}

/// What a request proved about its caller, as far as changing a password cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The account's password itself (Basic with the password).
    Password,
    /// A web session, started by a password sign-in.
    Session,
    /// An API key or an Index access token: it stands for the user in API calls, but a
    /// stolen one must not become a takeover, so it never changes a password.
    Key,
}

/// What a password change for an account requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    Refused,
    /// Allowed to this caller, but not with the credential it used (a key or a token).
    NeedsPassword,
    /// The user itself: it proves the old password again.
    WithOldPassword,
    /// A site admin: no old password needed.
    WithoutOldPassword,
}

pub fn password_change(caller: Option<&Caller>, account_id: i64, proof: Proof) -> PasswordChange {
    let allowed = match active(caller) {
        Some(c) if c.is_admin => PasswordChange::WithoutOldPassword,
        Some(c) if c.user_id == account_id => PasswordChange::WithOldPassword,
        _ => return PasswordChange::Refused,
    };
    match proof {
        Proof::Key => PasswordChange::NeedsPassword,
        Proof::Password | Proof::Session => allowed,
    }
}

/// The caller's level on a namespace's external repositories (Cloud dialect): read-only
/// lists and inspects them, read-write adds, re-credentials and removes them. Users have
/// admin on their own; in an organization every member may read, and writing takes the
/// `owners` team or a read-write (or admin) namespace grant, since the credentials are the
/// organization's. Site admins everywhere; anyone else has nothing (and sees a 404).
pub fn external_repositories_level(caller: Option<&Caller>, ns: &NamespaceFacts) -> Level {
    let Some(caller) = active(caller) else {
        return Level::None;
    };
    if caller.is_admin {
        return Level::Admin;
    }
    match ns.owner {
        Owner::User { id } if id == caller.user_id => Level::Admin,
        Owner::User { .. } => Level::None,
        Owner::Organization { .. } if ns.caller_in_owners => Level::Admin,
        Owner::Organization { .. } if ns.caller_is_member => {
            ns.namespace_grant.max(Level::ReadOnly)
        }
        Owner::Organization { .. } => Level::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: i64 = 1;
    const OTHER: i64 = 2;

    fn user(id: i64) -> Caller {
        Caller {
            user_id: id,
            is_admin: false,
            is_active: true,
        }
    }

    fn admin() -> Caller {
        Caller {
            user_id: 99,
            is_admin: true,
            is_active: true,
        }
    }

    fn inactive(id: i64) -> Caller {
        Caller {
            user_id: id,
            is_admin: false,
            is_active: false,
        }
    }

    fn org(library: bool) -> NamespaceFacts {
        NamespaceFacts {
            owner: Owner::Organization { library },
            caller_in_owners: false,
            caller_is_member: false,
            namespace_grant: Level::None,
        }
    }

    fn repo(ns: NamespaceFacts, is_public: bool) -> RepositoryFacts {
        RepositoryFacts {
            namespace: ns,
            is_public,
            user_grant: Level::None,
            team_grant: Level::None,
        }
    }

    /// (description, caller, facts for a visibility, level when private, level when public)
    type Row = (
        &'static str,
        Option<Caller>,
        Box<dyn Fn(bool) -> RepositoryFacts>,
        Level,
        Level,
    );

    /// Every row: (description, caller, facts, expected level on private, on public).
    fn matrix() -> Vec<Row> {
        use Level::*;
        let user_ns = || NamespaceFacts::user(OWNER);
        let mut rows: Vec<Row> = vec![
            (
                "anonymous, user-owned",
                Option::<Caller>::None,
                Box::new(move |p| repo(user_ns(), p)),
                None,
                ReadOnly,
            ),
            (
                "anonymous, org-owned",
                Option::<Caller>::None,
                Box::new(|p| repo(org(false), p)),
                None,
                ReadOnly,
            ),
            (
                "anonymous, library",
                Option::<Caller>::None,
                Box::new(|p| repo(org(true), p)),
                None,
                ReadOnly,
            ),
            (
                "inactive owner is anonymous",
                Some(inactive(OWNER)),
                Box::new(move |p| repo(user_ns(), p)),
                None,
                ReadOnly,
            ),
            (
                "inactive admin is anonymous",
                Some(Caller {
                    is_active: false,
                    ..admin()
                }),
                Box::new(|p| repo(org(false), p)),
                None,
                ReadOnly,
            ),
            (
                "unrelated user, user-owned",
                Some(user(OTHER)),
                Box::new(move |p| repo(user_ns(), p)),
                None,
                ReadOnly,
            ),
            (
                "unrelated user, org-owned",
                Some(user(OTHER)),
                Box::new(|p| repo(org(false), p)),
                None,
                ReadOnly,
            ),
            (
                "owner of the user namespace",
                Some(user(OWNER)),
                Box::new(move |p| repo(user_ns(), p)),
                Admin,
                Admin,
            ),
            (
                "site admin, user-owned",
                Some(admin()),
                Box::new(move |p| repo(user_ns(), p)),
                Admin,
                Admin,
            ),
            (
                "site admin, org-owned",
                Some(admin()),
                Box::new(|p| repo(org(false), p)),
                Admin,
                Admin,
            ),
            (
                "site admin, library",
                Some(admin()),
                Box::new(|p| repo(org(true), p)),
                Admin,
                Admin,
            ),
            (
                "org member without grants",
                Some(user(OTHER)),
                Box::new(|p| {
                    repo(
                        NamespaceFacts {
                            caller_is_member: true,
                            ..org(false)
                        },
                        p,
                    )
                }),
                None,
                ReadOnly,
            ),
            (
                "org owners team",
                Some(user(OTHER)),
                Box::new(|p| {
                    repo(
                        NamespaceFacts {
                            caller_in_owners: true,
                            caller_is_member: true,
                            ..org(false)
                        },
                        p,
                    )
                }),
                Admin,
                Admin,
            ),
            (
                "user grant on an org repository does not count",
                Some(user(OTHER)),
                Box::new(|p| RepositoryFacts {
                    user_grant: Admin,
                    ..repo(org(false), p)
                }),
                None,
                ReadOnly,
            ),
            (
                "team grant on a user repository does not count",
                Some(user(OTHER)),
                Box::new(move |p| RepositoryFacts {
                    team_grant: Admin,
                    ..repo(user_ns(), p)
                }),
                None,
                ReadOnly,
            ),
        ];
        for level in [ReadOnly, ReadWrite, Admin] {
            rows.push((
                "user collaborator",
                Some(user(OTHER)),
                Box::new(move |p| RepositoryFacts {
                    user_grant: level,
                    ..repo(NamespaceFacts::user(OWNER), p)
                }),
                level,
                level.max(ReadOnly),
            ));
            rows.push((
                "team with a repository grant",
                Some(user(OTHER)),
                Box::new(move |p| RepositoryFacts {
                    team_grant: level,
                    ..repo(
                        NamespaceFacts {
                            caller_is_member: true,
                            ..org(false)
                        },
                        p,
                    )
                }),
                level,
                level.max(ReadOnly),
            ));
            rows.push((
                "team with a namespace grant",
                Some(user(OTHER)),
                Box::new(move |p| {
                    repo(
                        NamespaceFacts {
                            caller_is_member: true,
                            namespace_grant: level,
                            ..org(false)
                        },
                        p,
                    )
                }),
                level,
                level.max(ReadOnly),
            ));
            rows.push((
                "inactive collaborator gets nothing from grants",
                Some(inactive(OTHER)),
                Box::new(move |p| RepositoryFacts {
                    user_grant: level,
                    ..repo(NamespaceFacts::user(OWNER), p)
                }),
                None,
                ReadOnly,
            ));
        }
        rows.push((
            "repository and namespace grants add up to the highest",
            Some(user(OTHER)),
            Box::new(|p| RepositoryFacts {
                team_grant: ReadWrite,
                ..repo(
                    NamespaceFacts {
                        caller_is_member: true,
                        namespace_grant: ReadOnly,
                        ..org(false)
                    },
                    p,
                )
            }),
            ReadWrite,
            ReadWrite,
        ));
        rows
    }

    #[test]
    fn repository_level_matrix() {
        for (what, caller, facts, private, public) in matrix() {
            assert_eq!(
                repository_level(caller.as_ref(), &facts(false)),
                private,
                "{what}, private"
            );
            assert_eq!(
                repository_level(caller.as_ref(), &facts(true)),
                public,
                "{what}, public"
            );
        }
    }

    #[test]
    fn namespace_levels() {
        let member = NamespaceFacts {
            caller_is_member: true,
            ..org(false)
        };
        assert_eq!(
            namespace_level(None, &NamespaceFacts::user(OWNER)),
            Level::None
        );
        assert_eq!(
            namespace_level(Some(&user(OWNER)), &NamespaceFacts::user(OWNER)),
            Level::Admin
        );
        assert_eq!(
            namespace_level(Some(&user(OTHER)), &NamespaceFacts::user(OWNER)),
            Level::None
        );
        assert_eq!(namespace_level(Some(&user(OTHER)), &member), Level::None);
        let granted = NamespaceFacts {
            namespace_grant: Level::ReadWrite,
            ..member
        };
        assert_eq!(
            namespace_level(Some(&user(OTHER)), &granted),
            Level::ReadWrite
        );
        assert_eq!(namespace_level(Some(&admin()), &org(false)), Level::Admin);
        assert_eq!(
            namespace_level(Some(&inactive(OWNER)), &NamespaceFacts::user(OWNER)),
            Level::None
        );
    }

    #[test]
    fn who_may_create_repositories() {
        let owners = NamespaceFacts {
            caller_in_owners: true,
            caller_is_member: true,
            ..org(false)
        };
        let ns_admin = NamespaceFacts {
            caller_is_member: true,
            namespace_grant: Level::Admin,
            ..org(false)
        };
        let ns_writer = NamespaceFacts {
            caller_is_member: true,
            namespace_grant: Level::ReadWrite,
            ..org(false)
        };
        let library_owner = NamespaceFacts {
            caller_in_owners: true,
            caller_is_member: true,
            ..org(true)
        };

        assert!(may_create_repository(
            Some(&user(OWNER)),
            &NamespaceFacts::user(OWNER)
        ));
        assert!(!may_create_repository(
            Some(&user(OTHER)),
            &NamespaceFacts::user(OWNER)
        ));
        assert!(!may_create_repository(None, &NamespaceFacts::user(OWNER)));
        assert!(!may_create_repository(
            Some(&inactive(OWNER)),
            &NamespaceFacts::user(OWNER)
        ));
        assert!(may_create_repository(Some(&user(OTHER)), &owners));
        assert!(may_create_repository(Some(&user(OTHER)), &ns_admin));
        assert!(!may_create_repository(Some(&user(OTHER)), &ns_writer));
        assert!(!may_create_repository(Some(&user(OTHER)), &org(false)));
        // library: site admins only, even for members of its owners team.
        assert!(!may_create_repository(Some(&user(OTHER)), &library_owner));
        assert!(may_create_repository(Some(&admin()), &org(true)));
    }

    #[test]
    fn organization_management_and_team_visibility() {
        let owners = NamespaceFacts {
            caller_in_owners: true,
            caller_is_member: true,
            ..org(false)
        };
        let member = NamespaceFacts {
            caller_is_member: true,
            ..org(false)
        };
        assert!(may_manage_organization(Some(&user(OTHER)), &owners));
        assert!(!may_manage_organization(Some(&user(OTHER)), &member));
        assert!(may_manage_organization(Some(&admin()), &org(false)));
        assert!(!may_manage_organization(None, &owners));
        assert!(may_see_teams(Some(&user(OTHER)), &member));
        assert!(!may_see_teams(Some(&user(OTHER)), &org(false)));
        assert!(may_see_teams(Some(&admin()), &org(false)));
        assert!(!may_see_teams(Some(&inactive(OTHER)), &member));
    }

    #[test]
    fn account_self_management() {
        assert!(may_manage_account(Some(&user(OWNER)), OWNER));
        assert!(!may_manage_account(Some(&user(OTHER)), OWNER));
        assert!(may_manage_account(Some(&admin()), OWNER));
        assert!(!may_manage_account(Some(&inactive(OWNER)), OWNER));
        assert!(!may_manage_account(None, OWNER));
        assert!(is_site_admin(Some(&admin())));
        assert!(!is_site_admin(Some(&user(OWNER))));
    }

    #[test]
    fn levels_parse_and_rank() {
        assert_eq!(Level::parse_grant("read-write"), Some(Level::ReadWrite));
        assert_eq!(Level::parse_grant("none"), None);
        assert_eq!(Level::parse_grant("Admin"), None);
        for l in [Level::None, Level::ReadOnly, Level::ReadWrite, Level::Admin] {
            assert_eq!(Level::from_rank(l.rank()), l);
        }
        assert!(Level::Admin > Level::ReadWrite && Level::ReadWrite > Level::ReadOnly);
    }

    #[test]
    fn who_sees_a_teams_members() {
        let owners = NamespaceFacts {
            caller_in_owners: true,
            caller_is_member: true,
            ..org(false)
        };
        let member = NamespaceFacts {
            caller_is_member: true,
            ..org(false)
        };
        assert!(may_see_team_members(Some(&admin()), &org(false), false));
        assert!(may_see_team_members(Some(&user(OTHER)), &owners, false));
        assert!(may_see_team_members(Some(&user(OTHER)), &member, true));
        assert!(!may_see_team_members(Some(&user(OTHER)), &member, false));
        assert!(!may_see_team_members(Some(&inactive(OTHER)), &member, true));
        assert!(!may_see_team_members(None, &owners, true));
    }

    #[test]
    fn who_manages_namespace_access() {
        let owners = NamespaceFacts {
            caller_in_owners: true,
            caller_is_member: true,
            ..org(false)
        };
        let ns_admin = NamespaceFacts {
            caller_is_member: true,
            namespace_grant: Level::Admin,
            ..org(false)
        };
        let ns_writer = NamespaceFacts {
            caller_is_member: true,
            namespace_grant: Level::ReadWrite,
            ..org(false)
        };
        assert!(may_manage_namespace_access(Some(&admin()), &org(false)));
        assert!(may_manage_namespace_access(Some(&user(OTHER)), &owners));
        assert!(may_manage_namespace_access(Some(&user(OTHER)), &ns_admin));
        assert!(!may_manage_namespace_access(Some(&user(OTHER)), &ns_writer));
        assert!(!may_manage_namespace_access(
            Some(&user(OTHER)),
            &org(false)
        ));
        assert!(!may_manage_namespace_access(None, &owners));
        // A user namespace has no team grants to manage, not even for its owner.
        assert!(!may_manage_namespace_access(
            Some(&user(OWNER)),
            &NamespaceFacts::user(OWNER)
        ));
        // Members of a team may read that team's own grant, nothing more.
        assert!(may_see_namespace_grant(
            Some(&user(OTHER)),
            &ns_writer,
            true
        ));
        assert!(!may_see_namespace_grant(
            Some(&user(OTHER)),
            &ns_writer,
            false
        ));
        assert!(!may_see_namespace_grant(
            Some(&inactive(OTHER)),
            &ns_writer,
            true
        ));
        assert!(may_see_namespace_grant(Some(&user(OTHER)), &owners, false));
    }

    #[test]
    fn account_administration_and_password_changes() {
        assert!(may_administer_accounts(Some(&admin())));
        assert!(!may_administer_accounts(Some(&user(OWNER))));
        assert!(!may_administer_accounts(Some(&Caller {
            is_active: false,
            ..admin()
        })));
        assert!(!may_administer_accounts(None));
        for proof in [Proof::Password, Proof::Session] {
            assert_eq!(
                password_change(Some(&user(OWNER)), OWNER, proof),
                PasswordChange::WithOldPassword
            );
            assert_eq!(
                password_change(Some(&user(OTHER)), OWNER, proof),
                PasswordChange::Refused
            );
            assert_eq!(
                password_change(Some(&admin()), OWNER, proof),
                PasswordChange::WithoutOldPassword
            );
            assert_eq!(
                password_change(Some(&admin()), admin().user_id, proof),
                PasswordChange::WithoutOldPassword
            );
            assert_eq!(
                password_change(Some(&inactive(OWNER)), OWNER, proof),
                PasswordChange::Refused
            );
            assert_eq!(password_change(None, OWNER, proof), PasswordChange::Refused);
        }
    }

    #[test]
    fn a_key_or_token_changes_no_password() {
        // Not even a site admin's key, for any account: a stolen key is not a takeover.
        for (caller, target) in [
            (user(OWNER), OWNER),
            (admin(), OWNER),
            (admin(), admin().user_id),
        ] {
            assert_eq!(
                password_change(Some(&caller), target, Proof::Key),
                PasswordChange::NeedsPassword
            );
        }
        // Whoever could not change it at all is refused as before.
        assert_eq!(
            password_change(Some(&user(OTHER)), OWNER, Proof::Key),
            PasswordChange::Refused
        );
        assert_eq!(
            password_change(None, OWNER, Proof::Key),
            PasswordChange::Refused
        );
    }

    #[test]
    fn external_repositories_belong_to_the_namespace_and_its_members() {
        use Level::*;
        let member = NamespaceFacts {
            caller_is_member: true,
            ..org(false)
        };
        let writer = NamespaceFacts {
            namespace_grant: ReadWrite,
            ..member
        };
        let owners = NamespaceFacts {
            caller_in_owners: true,
            ..member
        };
        let cases = [
            (
                "own user namespace",
                Some(user(OWNER)),
                NamespaceFacts::user(OWNER),
                Admin,
            ),
            (
                "another user's namespace",
                Some(user(OTHER)),
                NamespaceFacts::user(OWNER),
                None,
            ),
            (
                "anonymous",
                Option::<Caller>::None,
                NamespaceFacts::user(OWNER),
                None,
            ),
            (
                "inactive owner",
                Some(inactive(OWNER)),
                NamespaceFacts::user(OWNER),
                None,
            ),
            (
                "site admin, user namespace",
                Some(admin()),
                NamespaceFacts::user(OWNER),
                Admin,
            ),
            ("site admin, organization", Some(admin()), org(false), Admin),
            ("non-member", Some(user(OTHER)), org(false), None),
            ("member without grants", Some(user(OTHER)), member, ReadOnly),
            (
                "member with a read-write namespace grant",
                Some(user(OTHER)),
                writer,
                ReadWrite,
            ),
            ("owners team", Some(user(OTHER)), owners, Admin),
        ];
        for (what, caller, facts, expected) in cases {
            assert_eq!(
                external_repositories_level(caller.as_ref(), &facts),
                expected,
                "{what}"
            );
        }
    }
}

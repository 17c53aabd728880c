//! Purpose: what a code's numeric range says when the knowledge base has no
//! entry for it (the table is documented in knowledge/README.md).

use super::Category;
use crate::code::AadstsCode;

/// A range of codes that share a theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// First code of the range.
    pub first: u32,
    /// Last code of the range.
    pub last: u32,
    /// What codes in this range are usually about.
    pub about: &'static str,
    /// The category most of them fall in.
    pub category: Category,
}

const fn family(first: u32, last: u32, about: &'static str, category: Category) -> Family {
    Family {
        first,
        last,
        about,
        category,
    }
}

/// The table, sorted by range; keep knowledge/README.md in step.
const FAMILIES: &[Family] = &[
    family(
        16000,
        16999,
        "account selection and session",
        Category::Session,
    ),
    family(
        20000,
        29999,
        "external and social identity providers, QR sign-in",
        Category::Federation,
    ),
    family(
        40000,
        49999,
        "federated identity provider and OAuth provider errors",
        Category::Federation,
    ),
    family(
        50000,
        50999,
        "user sign-in: credentials, account state, MFA, request checks",
        Category::Credentials,
    ),
    family(
        51000,
        51999,
        "device and resource owner checks",
        Category::Device,
    ),
    family(
        52000,
        52999,
        "external sign-in provider checks",
        Category::Federation,
    ),
    family(
        53000,
        53999,
        "Conditional Access and device compliance",
        Category::ConditionalAccess,
    ),
    family(
        54000,
        54999,
        "accessibility, age and federated account checks",
        Category::Account,
    ),
    family(65000, 65999, "consent and permissions", Category::Consent),
    family(67000, 67999, "account provisioning", Category::Account),
    family(
        70000,
        70999,
        "OAuth grant and protocol errors",
        Category::Token,
    ),
    family(75000, 75999, "SAML and federation", Category::Federation),
    family(76000, 76999, "SAML assertions", Category::Federation),
    family(
        80000,
        80999,
        "pass-through authentication and hybrid agents",
        Category::Hybrid,
    ),
    family(
        81000,
        81999,
        "seamless single sign-on (Kerberos)",
        Category::Hybrid,
    ),
    family(
        90000,
        90999,
        "malformed requests and protocol problems",
        Category::Request,
    ),
    family(
        100000,
        199999,
        "tenant, directory and service limits",
        Category::Tenant,
    ),
    family(
        200000,
        499999,
        "tenant policies and workload identities",
        Category::Tenant,
    ),
    family(
        500000,
        599999,
        "service, resource and application access checks",
        Category::Service,
    ),
    family(650000, 659999, "consent and permissions", Category::Consent),
    family(
        700000,
        709999,
        "OAuth client and grant errors",
        Category::Token,
    ),
    family(750000, 759999, "SAML and federation", Category::Federation),
    family(
        900000,
        999999,
        "malformed requests and protocol problems",
        Category::Request,
    ),
    family(
        1000000,
        1999999,
        "device, tenant and protocol checks",
        Category::Device,
    ),
    family(
        5000000,
        5999999,
        "service and policy checks",
        Category::Service,
    ),
    family(
        7000000,
        7999999,
        "client credentials: secrets, certificates, assertions",
        Category::ClientAuth,
    ),
    family(
        9000000,
        9999999,
        "protocol and request validation",
        Category::Request,
    ),
];

/// The family a code's range belongs to, if the table knows it.
pub fn family_of(code: AadstsCode) -> Option<&'static Family> {
    let n = code.number();
    FAMILIES.iter().find(|f| (f.first..=f.last).contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(n: u32) -> Option<&'static str> {
        family_of(AadstsCode::new(n).unwrap()).map(|f| f.about)
    }

    #[test]
    fn table_is_sorted_and_disjoint() {
        for pair in FAMILIES.windows(2) {
            assert!(pair[0].first <= pair[0].last);
            assert!(pair[0].last < pair[1].first, "{pair:?}");
        }
    }

    #[test]
    fn known_ranges() {
        assert_eq!(
            about(53099),
            Some("Conditional Access and device compliance")
        );
        assert_eq!(about(65004), Some("consent and permissions"));
        assert_eq!(
            about(7000999),
            Some("client credentials: secrets, certificates, assertions")
        );
        assert_eq!(about(75011), Some("SAML and federation"));
        assert_eq!(
            about(80099),
            Some("pass-through authentication and hybrid agents")
        );
    }

    #[test]
    fn gaps_have_no_family() {
        assert_eq!(about(1), None);
        assert_eq!(about(60000), None);
        assert_eq!(about(999_999_999), None);
    }
}

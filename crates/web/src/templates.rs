//! Templates are compiled into the binary, so the server runs from any directory.

use std::sync::OnceLock;

use minijinja::{Environment, Value, context};

/// Changes whenever the stylesheet changes, so browsers fetch the new one.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const STYLESHEET: &str = include_str!("../static/app.css");

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("guide.html", include_str!("../templates/guide.html")),
    ("district.html", include_str!("../templates/district.html")),
    (
        "contracts.html",
        include_str!("../templates/contracts.html"),
    ),
    (
        "contract_detail.html",
        include_str!("../templates/contract_detail.html"),
    ),
    (
        "contract_form.html",
        include_str!("../templates/contract_form.html"),
    ),
    (
        "contract_import.html",
        include_str!("../templates/contract_import.html"),
    ),
    (
        "contract_stats.html",
        include_str!("../templates/contract_stats.html"),
    ),
    ("rankings.html", include_str!("../templates/rankings.html")),
    ("carriers.html", include_str!("../templates/carriers.html")),
    (
        "my_carriers.html",
        include_str!("../templates/my_carriers.html"),
    ),
    (
        "catalogue.html",
        include_str!("../templates/catalogue.html"),
    ),
    (
        "catalogue_entries.html",
        include_str!("../templates/catalogue_entries.html"),
    ),
    (
        "catalogue_batch.html",
        include_str!("../templates/catalogue_batch.html"),
    ),
    (
        "my_products.html",
        include_str!("../templates/my_products.html"),
    ),
    (
        "white_list.html",
        include_str!("../templates/white_list.html"),
    ),
    (
        "white_list_rows.html",
        include_str!("../templates/white_list_rows.html"),
    ),
    ("api_keys.html", include_str!("../templates/api_keys.html")),
    (
        "carrier_report.html",
        include_str!("../templates/carrier_report.html"),
    ),
    (
        "carrier_evaluation.html",
        include_str!("../templates/carrier_evaluation.html"),
    ),
    (
        "tech_managers.html",
        include_str!("../templates/tech_managers.html"),
    ),
    (
        "tech_manager_profile.html",
        include_str!("../templates/tech_manager_profile.html"),
    ),
    ("login.html", include_str!("../templates/login.html")),
    ("password.html", include_str!("../templates/password.html")),
    (
        "user_detail.html",
        include_str!("../templates/user_detail.html"),
    ),
    (
        "institutions.html",
        include_str!("../templates/institutions.html"),
    ),
    (
        "institution_detail.html",
        include_str!("../templates/institution_detail.html"),
    ),
    (
        "institution_form.html",
        include_str!("../templates/institution_form.html"),
    ),
    ("users.html", include_str!("../templates/users.html")),
    (
        "user_form.html",
        include_str!("../templates/user_form.html"),
    ),
    ("audit.html", include_str!("../templates/audit.html")),
    ("records.html", include_str!("../templates/records.html")),
    ("review.html", include_str!("../templates/review.html")),
    (
        "record_detail.html",
        include_str!("../templates/record_detail.html"),
    ),
    (
        "record_form.html",
        include_str!("../templates/record_form.html"),
    ),
    ("lists.html", include_str!("../templates/lists.html")),
    ("import.html", include_str!("../templates/import.html")),
    ("fields.html", include_str!("../templates/fields.html")),
    (
        "list_draft.html",
        include_str!("../templates/list_draft.html"),
    ),
    (
        "list_issue.html",
        include_str!("../templates/list_issue.html"),
    ),
    (
        "list_entry.html",
        include_str!("../templates/list_entry.html"),
    ),
    (
        "list_diff.html",
        include_str!("../templates/list_diff.html"),
    ),
    ("policy.html", include_str!("../templates/policy.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("matches.html", include_str!("../templates/matches.html")),
    (
        "match_card.html",
        include_str!("../templates/match_card.html"),
    ),
    (
        "match_detail.html",
        include_str!("../templates/match_detail.html"),
    ),
    ("funnel.html", include_str!("../templates/funnel.html")),
    (
        "policy_measure.html",
        include_str!("../templates/policy_measure.html"),
    ),
    ("calls.html", include_str!("../templates/calls.html")),
    (
        "call_detail.html",
        include_str!("../templates/call_detail.html"),
    ),
    (
        "call_form.html",
        include_str!("../templates/call_form.html"),
    ),
    (
        "application_form.html",
        include_str!("../templates/application_form.html"),
    ),
    (
        "application_facts.html",
        include_str!("../templates/application_facts.html"),
    ),
    (
        "application_detail.html",
        include_str!("../templates/application_detail.html"),
    ),
    (
        "applications.html",
        include_str!("../templates/applications.html"),
    ),
    ("notice.html", include_str!("../templates/notice.html")),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    (
        "payment_batch.html",
        include_str!("../templates/payment_batch.html"),
    ),
];

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut environment = Environment::new();
        // "4170000" → "4,170,000": counts and amounts as official tables print them.
        environment.add_filter("thousands", |value: Value| {
            zijin_domain::group_thousands(&value.to_string())
        });
        for (name, source) in TEMPLATES {
            environment
                .add_template(name, source)
                .unwrap_or_else(|error| panic!("template {name} does not compile: {error}"));
        }
        environment
    })
}

/// Renders a page; a template error is a bug and becomes a 500 through the panic handler.
pub fn render(name: &str, context: Value) -> String {
    let template = environment()
        .get_template(name)
        .unwrap_or_else(|error| panic!("no template {name}: {error}"));
    template
        .render(context)
        .unwrap_or_else(|error| panic!("template {name} failed: {error:#}"))
}

/// The error page, rendered without the visitor's session (errors may happen before it is known).
pub fn render_error(status: u16, title: &str, message: &str) -> String {
    render(
        "error.html",
        context! {
            title, status, message,
            nav => vec![context!{ href => "/", label => "首页" }, context!{ href => "/institutions", label => "机构名录" }],
            asset_version => ASSET_VERSION,
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        assert_eq!(
            super::environment().templates().count(),
            super::TEMPLATES.len()
        );
    }
}

//! The authorisation matrix: every route of the site (as `zijin_web::routes()` lists them) ×
//! every kind of visitor, with the answer each must get, on both backends. A route without a
//! row fails the test, and so does a row whose route no longer exists.
//!
//! Adding a route means adding one line to [`MATRIX`]: method, route pattern, the concrete path
//! to ask (placeholders in braces are filled with real ids, see [`Fixture::fill`]), what to send,
//! and the eight expected answers.

use std::collections::BTreeSet;

use reqwest::{Client, Method};
use serde_json::json;
use zijin_app::{Actor, Backend, records, users};
use zijin_domain::{AchievementInput, DemandInput, RecordKind, Transition};
use zijin_testkit::{BACKENDS, TestServer, spawn_app};

use super::{client, csrf_of};

/// The visitors, in the order of the answer columns.
const ROLES: [&str; 8] = [
    "anonymous",
    "owner",
    "other-institution",
    "reviewer",
    "district-here",
    "district-elsewhere",
    "admin",
    "registrar",
];

/// What a request sends.
#[derive(Debug, Clone, Copy)]
enum Body {
    Empty,
    /// A form with only the CSRF token (so input is refused, not access, when access holds).
    Form,
    /// A form with the CSRF token and these fields.
    FormWith(&'static [(&'static str, &'static str)]),
    /// A multipart form with only the CSRF token.
    Multipart,
    /// JSON with the CSRF header.
    Json(&'static str),
}

use Body::*;

/// A payee account, filled in as every applicant must before submitting.
fn payee() -> zijin_app::applications::ApplicationInput {
    zijin_app::applications::ApplicationInput {
        bank_name: "中国工商银行南京新街口支行".into(),
        bank_account: "6222 0202 0000 1234 567".into(),
        account_name: "申报单位".into(),
        ..Default::default()
    }
}

/// (method, route, path asked, body, answers for ROLES). An answer is a status code, or `L`
/// for "sign in first" (a redirect to the login page, or 401 from the API).
///
/// Placeholders: `{draft}` the owner's draft achievement, `{published}` the owner's published
/// achievement, `{issue}` the published list issue, `{owner_inst}` the owner's institution,
/// `{user}` the owner's account, `{attachment}` an attachment of the draft, `{match}` a match of
/// the owner's demand, `{measure}` a policy measure.
///
/// Rows that end a session (logout) come last.
#[rustfmt::skip]
const MATRIX: &[(&str, &str, &str, Body, &str)] = &[
    // Public pages.
    ("GET", "/", "/", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/healthz", "/healthz", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/static/app.css", "/static/app.css", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/login", "/login", Empty, "200 303 303 303 303 303 303 303"),
    ("POST", "/login", "/login", FormWith(&[("username", "nobody"), ("password", "wrong-password-1")]), "401 401 401 401 401 401 401 401"),
    ("GET", "/institutions", "/institutions", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/institutions/{id}", "/institutions/{owner_inst}", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/lists", "/lists", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/lists/{id}", "/lists/{issue}", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/lists/{id}/diff", "/lists/{issue}/diff", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/lists/{id}/{kind}/{record_id}", "/lists/{issue}/achievement/{published}", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/lists/{id}/export.xlsx", "/lists/{issue}/export.xlsx", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/lists/{id}/export.pdf", "/lists/{issue}/export.pdf", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/templates/{file}", "/templates/achievements.xlsx", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/policy", "/policy", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/policy/{id}", "/policy/{measure}", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/search", "/search?q=电解液", Empty, "200 200 200 200 200 200 200 200"),
    // Records: drafts only for their institution; published ones for everyone.
    ("GET", "/records/{kind}/{id}", "/records/achievement/{draft}", Empty, "404 200 404 404 404 404 404 404"),
    ("GET", "/records/{kind}/{id}", "/records/achievement/{published}", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/records/{kind}/{id}/{step}", "/records/achievement/{published}/approve", Form, "L 403 403 303 403 403 303 403"),
    ("POST", "/records/{kind}/{id}/{step}", "/records/achievement/{draft}/approve", Form, "404 403 404 404 404 404 404 404"),
    ("POST", "/records/{kind}/{id}/attachments", "/records/achievement/{draft}/attachments", Multipart, "404 303 404 404 404 404 404 404"),
    ("GET", "/attachments/{id}", "/attachments/{attachment}", Empty, "404 200 404 404 404 404 404 404"),
    ("GET", "/review", "/review", Empty, "L 403 403 200 403 403 200 403"),
    ("POST", "/review/approve", "/review/approve", Form, "L 403 403 303 403 403 303 403"),
    // An institution's own pages.
    ("GET", "/my/{kinds}", "/my/achievements", Empty, "L 200 200 403 403 403 403 403"),
    ("POST", "/my/{kinds}", "/my/achievements", Form, "L 422 422 403 403 403 403 403"),
    ("GET", "/my/{kinds}/new", "/my/demands/new", Empty, "L 200 200 403 403 403 403 403"),
    ("GET", "/my/{kinds}/{id}/edit", "/my/achievements/{draft}/edit", Empty, "404 200 404 404 404 404 404 404"),
    ("GET", "/my/{kinds}/{id}/edit", "/my/achievements/{published}/edit", Empty, "403 403 403 403 403 403 403 403"),
    ("POST", "/my/{kinds}/{id}", "/my/achievements/{draft}", Form, "404 422 404 404 404 404 404 404"),
    ("POST", "/my/{kinds}/{id}", "/my/achievements/{published}", Form, "L 422 403 403 403 403 403 403"),
    ("GET", "/my/institution", "/my/institution", Empty, "L 200 200 403 403 403 403 403"),
    ("POST", "/my/institution", "/my/institution", Form, "L 303 303 403 403 403 403 403"),
    ("GET", "/my/matches", "/my/matches", Empty, "L 200 200 403 403 403 403 403"),
    ("GET", "/my/matches", "/my/matches?stage=won", Empty, "L 422 422 403 403 403 403 403"),
    // A match: its two sides (here one institution holds both) and admins (read only) see it;
    // technology managers only the matches assigned to them (tested on their own).
    ("GET", "/matches/{id}", "/matches/{match}", Empty, "L 200 404 404 404 404 200 404"),
    ("POST", "/matches/{id}/{step}", "/matches/{match}/sign", Form, "L 409 404 404 404 404 403 404"),
    ("POST", "/matches/{id}/messages", "/matches/{match}/messages", Form, "L 422 404 404 404 404 403 404"),
    ("POST", "/matches/{id}/tech-manager", "/matches/{match}/tech-manager", Form, "L 403 404 404 404 404 422 404"),
    ("GET", "/tech-manager/matches", "/tech-manager/matches", Empty, "L 403 403 403 403 403 403 403"),
    ("GET", "/import", "/import", Empty, "L 200 200 403 403 403 200 403"),
    ("POST", "/import", "/import", Multipart, "L 422 422 403 403 403 422 403"),
    // Management.
    ("GET", "/manage/institutions", "/manage/institutions", Empty, "L 403 403 200 200 200 200 403"),
    ("GET", "/admin/matches", "/admin/matches", Empty, "L 403 403 200 200 200 200 403"),
    ("GET", "/district", "/district", Empty, "L 403 403 200 200 200 200 403"),
    ("GET", "/district/export.xlsx", "/district/export.xlsx", Empty, "L 403 403 200 200 200 200 403"),
    ("GET", "/admin/matches/export.xlsx", "/admin/matches/export.xlsx", Empty, "L 403 403 200 200 200 200 403"),
    ("GET", "/admin/matches", "/admin/matches?from=2026-12-31&until=2026-01-01", Empty, "L 403 403 422 422 422 422 403"),
    ("GET", "/admin/institutions/new", "/admin/institutions/new", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/admin/institutions", "/admin/institutions", Form, "L 403 403 403 403 403 422 403"),
    ("GET", "/admin/institutions/{id}/edit", "/admin/institutions/{owner_inst}/edit", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/admin/institutions/{id}", "/admin/institutions/{owner_inst}", Form, "L 403 403 403 403 403 422 403"),
    ("POST", "/admin/lists", "/admin/lists", Form, "L 403 403 403 403 403 303 403"),
    ("POST", "/admin/lists/{id}/publish", "/admin/lists/{issue}/publish", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/admin/fields", "/admin/fields", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/admin/fields", "/admin/fields", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/admin/users", "/admin/users", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/admin/users", "/admin/users", Form, "L 403 403 403 403 403 422 403"),
    ("GET", "/admin/users/new", "/admin/users/new", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/admin/users/{id}/unlock", "/admin/users/{user}/unlock", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/admin/users/{id}", "/admin/users/{user}", Empty, "L 403 403 403 403 403 200 403"),
    // Without the new password (admin: 422), so later rows keep the owner's session.
    ("POST", "/admin/users/{id}/password", "/admin/users/{user}/password", Form, "L 403 403 403 403 403 422 403"),
    // Without the confirmation (admin: 422), so the owner stays enabled.
    ("POST", "/admin/users/{id}/disable", "/admin/users/{user}/disable", Form, "L 403 403 403 403 403 422 403"),
    ("POST", "/admin/users/{id}/enable", "/admin/users/{user}/enable", Form, "L 403 403 403 403 403 303 403"),
    // Without the checkbox: the flag stays off.
    ("POST", "/admin/users/{id}/tech-manager", "/admin/users/{user}/tech-manager", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/account/password", "/account/password", Empty, "L 200 200 200 200 200 200 200"),
    ("POST", "/account/password", "/account/password", Form, "L 422 422 422 422 422 422 422"),
    ("POST", "/account/email", "/account/email", FormWith(&[("email", "not-an-address")]), "L 422 422 422 422 422 422 422"),
    ("GET", "/admin/audit", "/admin/audit", Empty, "L 403 403 403 403 403 200 403"),
    ("GET", "/admin/audit/export.xlsx", "/admin/audit/export.xlsx", Empty, "L 403 403 403 403 403 200 403"),
    ("GET", "/admin/api-keys", "/admin/api-keys", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/admin/api-keys", "/admin/api-keys", Form, "L 403 403 403 403 403 303 403"),
    ("POST", "/admin/api-keys/{id}/revoke", "/admin/api-keys/999999/revoke", FormWith(&[("confirm", "yes")]), "L 403 403 403 403 403 404 403"),
    ("GET", "/api/v1/api-keys", "/api/v1/api-keys", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/api-keys", "/api/v1/api-keys", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("POST", "/api/v1/api-keys/{id}/revoke", "/api/v1/api-keys/999999/revoke", Json(r#"{"confirm": true}"#), "L 403 403 403 403 403 404 403"),
    ("GET", "/guide", "/guide", Empty, "200 200 200 200 200 200 200 200"),
    // The API.
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/reference", "/api/v1/reference", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/auth/login", "/api/v1/auth/login", Json(r#"{"username": "nobody", "password": "wrong-password-1"}"#), "401 401 401 401 401 401 401 401"),
    ("GET", "/api/v1/me", "/api/v1/me", Empty, "L 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/institutions", "/api/v1/institutions", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/institutions", "/api/v1/institutions", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("GET", "/api/v1/institutions/{id}", "/api/v1/institutions/{owner_inst}", Empty, "200 200 200 200 200 200 200 200"),
    ("PUT", "/api/v1/institutions/{id}", "/api/v1/institutions/{owner_inst}", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("PUT", "/api/v1/institutions/{id}/profile", "/api/v1/institutions/{owner_inst}/profile", Json("{}"), "L 200 403 403 403 403 200 403"),
    ("GET", "/api/v1/users", "/api/v1/users", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/users/{id}/password", "/api/v1/users/{user}/password", Json(r#"{"new_password": ""}"#), "L 403 403 403 403 403 422 403"),
    // An account that does not exist, so the owner stays enabled.
    ("POST", "/api/v1/users/{id}/disable", "/api/v1/users/999999/disable", Json("{}"), "L 403 403 403 403 403 404 403"),
    ("POST", "/api/v1/users/{id}/enable", "/api/v1/users/{user}/enable", Json("{}"), "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/users/{id}/unlock", "/api/v1/users/{user}/unlock", Json("{}"), "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/users/{id}/tech-manager", "/api/v1/users/{user}/tech-manager", Json(r#"{"is_tech_manager": false}"#), "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/me/password", "/api/v1/me/password", Json(r#"{"current_password": "x", "new_password": "y"}"#), "L 422 422 422 422 422 422 422"),
    ("GET", "/api/v1/me/email", "/api/v1/me/email", Empty, "L 200 200 200 200 200 200 200"),
    ("PUT", "/api/v1/me/email", "/api/v1/me/email", Json(r#"{"email": "not-an-address"}"#), "L 422 422 422 422 422 422 422"),
    ("POST", "/api/v1/users", "/api/v1/users", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("GET", "/api/v1/audit", "/api/v1/audit", Empty, "L 403 403 403 403 403 200 403"),
    // The matrix's app runs without a search index: the API says so (503 unavailable).
    ("GET", "/api/v1/search", "/api/v1/search?q=电解液", Empty, "503 503 503 503 503 503 503 503"),
    ("GET", "/api/v1/lists", "/api/v1/lists", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/lists/{id}/{kind}", "/api/v1/lists/{issue}/achievements", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/achievements", "/api/v1/achievements", Json("{}"), "L 422 422 403 403 403 403 403"),
    ("POST", "/api/v1/demands", "/api/v1/demands", Json("{}"), "L 422 403 403 403 403 403 403"),
    ("GET", "/api/v1/records/{kind}/{id}", "/api/v1/records/achievement/{draft}", Empty, "404 200 404 404 404 404 404 404"),
    ("GET", "/api/v1/records/{kind}/{id}", "/api/v1/records/achievement/{published}", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/records/{kind}/{id}/transitions", "/api/v1/records/achievement/{published}/transitions", Json(r#"{"action": "approve"}"#), "L 403 403 409 403 403 409 403"),
    ("GET", "/api/v1/my/matches", "/api/v1/my/matches?sort=score", Empty, "L 200 200 403 403 403 403 403"),
    ("GET", "/api/v1/tech-manager/matches", "/api/v1/tech-manager/matches", Empty, "L 403 403 403 403 403 403 403"),
    ("GET", "/api/v1/matches", "/api/v1/matches?stage=recommended", Empty, "L 403 403 403 403 403 200 403"),
    ("GET", "/api/v1/matches/{id}", "/api/v1/matches/{match}", Empty, "L 200 404 404 404 404 200 404"),
    ("POST", "/api/v1/matches/{id}/messages", "/api/v1/matches/{match}/messages", Json("{}"), "L 422 404 404 404 404 403 404"),
    ("POST", "/api/v1/matches/{id}/transitions", "/api/v1/matches/{match}/transitions", Json(r#"{"action": "sign"}"#), "L 409 404 404 404 404 403 404"),
    ("POST", "/api/v1/matches/{id}/tech-manager", "/api/v1/matches/{match}/tech-manager", Json("{}"), "L 403 404 404 404 404 422 404"),
    // Applications (申报): calls are public; an application is read by its institution and
    // the reviewers of its route; each step is decided by its own role.
    ("GET", "/api/v1/calls", "/api/v1/calls", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/calls/{id}", "/api/v1/calls/{call}", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/calls", "/api/v1/calls", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("GET", "/api/v1/applications", "/api/v1/applications", Empty, "L 200 200 200 200 200 200 403"),
    ("POST", "/api/v1/applications", "/api/v1/applications", Json("{}"), "L 404 404 403 403 403 403 403"),
    ("GET", "/api/v1/applications/{id}", "/api/v1/applications/{application}", Empty, "L 200 404 200 200 404 200 404"),
    ("PUT", "/api/v1/applications/{id}", "/api/v1/applications/{application}", Json("{}"), "L 409 404 403 403 404 403 404"),
    ("POST", "/api/v1/applications/{id}/submit", "/api/v1/applications/{application}/submit", Json("{}"), "L 409 404 403 403 404 403 404"),
    ("POST", "/api/v1/applications/{id}/decision", "/api/v1/applications/{application}/decision", Json(r#"{"decision": "maybe"}"#), "L 403 404 409 422 404 409 404"),
    ("GET", "/api/v1/ledger", "/api/v1/ledger?beneficiary=x&year=2026", Empty, "L 403 403 403 403 403 422 403"),
    ("POST", "/api/v1/calls/{id}/notice", "/api/v1/calls/{call}/notice", Json("{}"), "L 403 403 403 403 403 409 403"),
    ("GET", "/api/v1/notices/{id}", "/api/v1/notices/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/notices/{id}/objections", "/api/v1/notices/999999/objections", Json("{}"), "404 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/calls/{id}/payments", "/api/v1/calls/{call}/payments", Json("{}"), "L 403 403 403 403 403 409 403"),
    ("GET", "/api/v1/payment-batches/{id}", "/api/v1/payment-batches/999999", Empty, "L 403 403 403 403 403 404 403"),
    ("POST", "/api/v1/payments/{id}/paid", "/api/v1/payments/999999/paid", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("POST", "/api/v1/objections/{id}/ruling", "/api/v1/objections/999999/ruling", Json(r#"{"ruling": "x"}"#), "L 403 403 403 403 403 422 403"),
    ("GET", "/calls", "/calls", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/calls", "/calls", Form, "L 403 403 403 403 403 422 403"),
    ("GET", "/calls/new", "/calls/new", Empty, "L 403 403 403 403 403 200 403"),
    ("GET", "/calls/{id}", "/calls/{call}", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/applications", "/applications", Empty, "L 200 200 200 200 200 200 403"),
    ("POST", "/applications", "/applications", Form, "L 404 404 403 403 403 403 403"),
    ("GET", "/applications/new", "/applications/new?call={call}&measure=a18-empowerment", Empty, "L 200 200 403 403 403 403 403"),
    ("GET", "/applications/{id}", "/applications/{application}", Empty, "L 200 404 200 200 404 200 404"),
    // A step the application's state does not allow is said on its page (a redirect).
    ("POST", "/applications/{id}", "/applications/{application}", Form, "L 303 404 403 403 404 403 404"),
    ("POST", "/applications/{id}/submit", "/applications/{application}/submit", Form, "L 303 404 403 403 404 403 404"),
    ("POST", "/calls/{id}/notice", "/calls/{call}/notice", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/notices/{id}", "/notices/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("GET", "/notices/{id}/notice.pdf", "/notices/999999/notice.pdf", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/notices/{id}/objections", "/notices/999999/objections", Form, "404 404 404 404 404 404 404 404"),
    ("POST", "/objections/{id}/ruling", "/objections/999999/ruling", Form, "L 403 403 403 403 403 303 403"),
    ("POST", "/calls/{id}/payments", "/calls/{call}/payments", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/payment-batches/{id}", "/payment-batches/999999", Empty, "L 403 403 403 403 403 404 403"),
    ("GET", "/payment-batches/{id}/export.xlsx", "/payment-batches/999999/export.xlsx", Empty, "L 403 403 403 403 403 404 403"),
    ("POST", "/payments/{id}/paid", "/payments/999999/paid", Form, "L 403 403 403 403 403 303 403"),
    ("POST", "/applications/{id}/decision", "/applications/{application}/decision", FormWith(&[("decision", "maybe")]), "L 403 404 303 422 404 303 404"),
    // Documents, 专家评审, 免申即享, messages and 我的待办 (issue 16). The fixture waits at the
    // district step: its documents are no longer the applicant's to change (409 / a message).
    // (A multipart body carries no CSRF header: the API refuses every signed-in caller.)
    ("POST", "/api/v1/applications/{id}/files", "/api/v1/applications/{application}/files", Multipart, "L 403 403 403 403 403 403 403"),
    ("GET", "/api/v1/application-files/{id}", "/api/v1/application-files/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("DELETE", "/api/v1/application-files/{id}", "/api/v1/application-files/999999", Json("{}"), "404 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/applications/{id}/expert-candidates", "/api/v1/applications/{application}/expert-candidates", Empty, "L 200 404 200 200 404 200 404"),
    ("POST", "/api/v1/applications/{id}/experts", "/api/v1/applications/{application}/experts", Json("{}"), "L 403 404 403 403 404 409 404"),
    ("POST", "/api/v1/applications/{id}/scores", "/api/v1/applications/{application}/scores", Json("{}"), "L 403 404 403 403 404 403 404"),
    ("POST", "/api/v1/applications/{id}/conflict", "/api/v1/applications/{application}/conflict", Json(r#"{"reason": "同事"}"#), "L 403 404 403 403 404 403 404"),
    ("POST", "/api/v1/applications/{id}/confirm", "/api/v1/applications/{application}/confirm", Json("{}"), "L 409 404 403 403 404 403 404"),
    ("POST", "/api/v1/calls/{id}/exempt", "/api/v1/calls/{call}/exempt", Json(r#"{"measure": "a15-insurance"}"#), "L 403 403 403 403 403 422 403"),
    ("GET", "/api/v1/notifications", "/api/v1/notifications", Empty, "L 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/notifications/read", "/api/v1/notifications/read", Json("{}"), "L 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/todo", "/api/v1/todo", Empty, "L 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/users/{id}/expert", "/api/v1/users/{user}/expert", Json(r#"{"is_expert": false}"#), "L 403 403 403 403 403 200 403"),
    ("POST", "/applications/{id}/files", "/applications/{application}/files", Multipart, "L 303 404 403 403 404 403 404"),
    ("GET", "/application-files/{id}", "/application-files/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/application-files/{id}/delete", "/application-files/999999/delete", Form, "404 404 404 404 404 404 404 404"),
    ("POST", "/applications/{id}/experts", "/applications/{application}/experts", Form, "L 403 404 403 403 404 303 404"),
    ("POST", "/applications/{id}/scores", "/applications/{application}/scores", Form, "L 403 404 403 403 404 403 404"),
    ("POST", "/applications/{id}/conflict", "/applications/{application}/conflict", FormWith(&[("reason", "同事")]), "L 403 404 403 403 404 403 404"),
    ("POST", "/applications/{id}/confirm", "/applications/{application}/confirm", Form, "L 303 404 403 403 404 403 404"),
    ("POST", "/calls/{id}/exempt", "/calls/{call}/exempt", FormWith(&[("measure", "a15-insurance")]), "L 403 403 403 403 403 303 403"),
    ("GET", "/notifications", "/notifications", Empty, "L 200 200 200 200 200 200 200"),
    ("POST", "/notifications/read", "/notifications/read", Form, "L 303 303 303 303 303 303 303"),
    ("POST", "/admin/users/{id}/expert", "/admin/users/{user}/expert", Form, "L 403 403 403 403 403 303 403"),
    // 技术合同登记, statistics and the ranking (issue 18). The matrix's visitors hold no
    // contract (the registrar decides, changes and cancels); unknown contracts are 404 to everyone.
    ("GET", "/contracts", "/contracts", Empty, "L 200 200 403 200 200 200 200"),
    ("GET", "/contracts/new", "/contracts/new", Empty, "L 200 200 403 403 403 403 403"),
    ("POST", "/contracts", "/contracts", Multipart, "L 422 422 403 403 403 403 403"),
    ("GET", "/contracts/{id}", "/contracts/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("GET", "/contracts/{id}/file", "/contracts/999999/file", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/contracts/{id}/decide", "/contracts/999999/decide", Form, "L 403 403 403 403 403 403 303"),
    ("POST", "/contracts/{id}/cancel", "/contracts/999999/cancel", Form, "L 403 403 403 403 403 303 303"),
    ("POST", "/contracts/{id}/receipts", "/contracts/999999/receipts", Form, "L 303 303 303 303 303 303 303"),
    ("GET", "/contracts/{id}/edit", "/contracts/999999/edit", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/contracts/{id}/edit", "/contracts/999999/edit", Multipart, "L 404 404 403 403 403 403 403"),
    ("GET", "/contracts/{id}/change", "/contracts/999999/change", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/contracts/{id}/change", "/contracts/999999/change", Form, "L 403 403 403 403 403 422 422"),
    ("GET", "/contracts/import", "/contracts/import", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/contracts/import", "/contracts/import", Multipart, "L 403 403 403 403 403 422 403"),
    ("GET", "/contracts/template.xlsx", "/contracts/template.xlsx", Empty, "L 403 403 403 403 403 200 403"),
    // 技术经理人 (issue 19): the public directory; the profile is a flagged account's own (none
    // of the matrix's visitors is flagged).
    ("GET", "/brokers", "/brokers", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/tech-manager/profile", "/tech-manager/profile", Empty, "L 403 403 403 403 403 403 403"),
    ("POST", "/tech-manager/profile", "/tech-manager/profile", Form, "L 403 403 403 403 403 403 403"),
    ("GET", "/api/v1/brokers", "/api/v1/brokers", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/tech-manager/profile", "/api/v1/tech-manager/profile", Empty, "L 403 403 403 403 403 403 403"),
    ("PUT", "/api/v1/tech-manager/profile", "/api/v1/tech-manager/profile", Json("{}"), "L 403 403 403 403 403 403 403"),
    ("GET", "/carriers", "/carriers", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/carriers", "/api/v1/carriers", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/carriers", "/carriers", Form, "L 403 403 403 403 403 303 403"),
    ("POST", "/carriers/{id}/withdraw", "/carriers/999999/withdraw", FormWith(&[("reason", "考核不合格"), ("confirm", "yes")]), "L 403 403 403 403 403 404 403"),
    // Carriers' applications, reports and the year's evaluation (the owner runs {carrier}).
    ("GET", "/my/carriers", "/my/carriers", Empty, "L 200 200 403 403 403 403 403"),
    ("POST", "/my/carriers", "/my/carriers", Form, "L 303 303 403 403 403 403 403"),
    ("POST", "/carriers/applications/{id}/decision", "/carriers/applications/999999/decision", FormWith(&[("decision", "recognise"), ("confirm", "yes")]), "L 403 403 403 403 403 404 403"),
    ("GET", "/carriers/{id}/reports/{year}", "/carriers/{carrier}/reports/2026", Empty, "L 200 403 200 403 403 200 403"),
    ("POST", "/carriers/{id}/reports/{year}", "/carriers/{carrier}/reports/2026", Form, "L 303 403 403 403 403 403 403"),
    ("POST", "/carriers/{id}/reports/{year}/scores", "/carriers/{carrier}/reports/2026/scores", Form, "L 403 403 303 403 403 303 403"),
    ("GET", "/carriers/evaluation", "/carriers/evaluation?year=2026", Empty, "L 403 403 200 403 403 200 403"),
    ("POST", "/carriers/evaluation", "/carriers/evaluation", FormWith(&[("year", "2026")]), "L 403 403 403 403 403 303 403"),
    ("POST", "/carriers/evaluation/confirm", "/carriers/evaluation/confirm", FormWith(&[("year", "2025")]), "L 403 403 403 403 403 303 403"),
    ("GET", "/api/v1/carriers/applications", "/api/v1/carriers/applications", Empty, "L 200 200 403 403 403 200 403"),
    ("POST", "/api/v1/carriers/applications", "/api/v1/carriers/applications", Json("{}"), "L 422 422 403 403 403 403 403"),
    ("POST", "/api/v1/carriers/applications/{id}/decision", "/api/v1/carriers/applications/999999/decision", Json(r#"{"decision": "recognise", "confirm": true}"#), "L 403 403 403 403 403 404 403"),
    ("GET", "/api/v1/carriers/{id}/reports/{year}", "/api/v1/carriers/{carrier}/reports/2026", Empty, "L 200 403 200 403 403 200 403"),
    ("PUT", "/api/v1/carriers/{id}/reports/{year}", "/api/v1/carriers/{carrier}/reports/2026", Json("{}"), "L 204 403 403 403 403 403 403"),
    ("PUT", "/api/v1/carriers/{id}/reports/{year}/scores", "/api/v1/carriers/{carrier}/reports/2026/scores", Json("{}"), "L 403 403 422 403 403 422 403"),
    ("GET", "/api/v1/carriers/evaluation/{year}", "/api/v1/carriers/evaluation/2026", Empty, "L 403 403 200 403 403 200 403"),
    ("POST", "/api/v1/carriers/evaluation/{year}", "/api/v1/carriers/evaluation/2026", Json("{}"), "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/carriers/evaluation/{year}/confirm", "/api/v1/carriers/evaluation/2025/confirm", Json("{}"), "L 403 403 403 403 403 422 403"),
    // 创新产品应用推荐目录: public batches; products applied by institutions, reviewed by admins.
    ("GET", "/catalogue", "/catalogue", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/catalogue", "/catalogue", Form, "L 403 403 403 403 403 303 403"),
    ("GET", "/catalogue/{id}", "/catalogue/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("GET", "/catalogue/{id}/{file}", "/catalogue/999999/export.pdf", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/catalogue/products/{id}/decision", "/catalogue/products/999999/decision", FormWith(&[("decision", "approve")]), "L 403 403 403 403 403 404 403"),
    ("GET", "/my/products", "/my/products", Empty, "L 200 200 403 403 403 403 403"),
    ("POST", "/my/products", "/my/products", Form, "L 303 303 403 403 403 403 403"),
    ("GET", "/api/v1/catalogues", "/api/v1/catalogues", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/catalogues", "/api/v1/catalogues", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("GET", "/api/v1/catalogues/{id}", "/api/v1/catalogues/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/products", "/api/v1/products", Empty, "L 200 200 403 403 403 200 403"),
    ("POST", "/api/v1/products", "/api/v1/products", Json("{}"), "L 422 422 403 403 403 403 403"),
    ("POST", "/api/v1/products/{id}/decision", "/api/v1/products/999999/decision", Json(r#"{"decision": "approve"}"#), "L 403 403 403 403 403 404 403"),
    // 融资白名单: the bureau and 金融机构 users (none of the matrix's institutions is one; see
    // the white-list test); incubatees are registered by the carrier's institution.
    ("GET", "/white-list", "/white-list", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/white-list", "/white-list", Form, "L 403 403 403 403 403 303 403"),
    ("POST", "/carriers/{id}/incubatees", "/carriers/{carrier}/incubatees", Form, "L 303 403 403 403 403 403 403"),
    ("GET", "/api/v1/white-list", "/api/v1/white-list", Empty, "L 403 403 403 403 403 404 403"),
    ("GET", "/api/v1/white-list/candidates", "/api/v1/white-list/candidates", Empty, "L 403 403 403 403 403 200 403"),
    ("POST", "/api/v1/white-list", "/api/v1/white-list", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("POST", "/api/v1/carriers/{id}/incubatees", "/api/v1/carriers/{carrier}/incubatees", Json("{}"), "L 422 403 403 403 403 403 403"),
    ("POST", "/api/v1/carriers", "/api/v1/carriers", Json("{}"), "L 403 403 403 403 403 422 403"),
    ("POST", "/api/v1/carriers/{id}/withdraw", "/api/v1/carriers/999999/withdraw", Json(r#"{"reason": "考核不合格", "confirm": true}"#), "L 403 403 403 403 403 404 403"),
    ("GET", "/stats/contracts", "/stats/contracts", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/stats/contracts/export.xlsx", "/stats/contracts/export.xlsx", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/rankings", "/rankings", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/rankings/freeze", "/rankings/freeze", Form, "L 403 403 403 403 403 422 403"),
    // No contracts in the matrix's database: nothing to download for 2025.
    ("GET", "/rankings/{file}", "/rankings/2025.xlsx", Empty, "404 404 404 404 404 404 404 404"),
    ("GET", "/api/v1/contracts", "/api/v1/contracts", Empty, "L 200 200 403 200 200 200 200"),
    ("POST", "/api/v1/contracts", "/api/v1/contracts", Multipart, "L 403 403 403 403 403 403 403"),
    ("GET", "/api/v1/contracts/{id}", "/api/v1/contracts/999999", Empty, "404 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/contracts/{id}/decision", "/api/v1/contracts/999999/decision", Json(r#"{"decision": "register"}"#), "L 403 403 403 403 403 403 404"),
    ("POST", "/api/v1/contracts/{id}/change", "/api/v1/contracts/999999/change", Json("{}"), "L 403 403 403 403 403 422 422"),
    ("POST", "/api/v1/contracts/{id}/cancel", "/api/v1/contracts/999999/cancel", Json(r#"{"reason": "解除", "confirm": true}"#), "L 403 403 403 403 403 404 404"),
    ("POST", "/api/v1/contracts/{id}/receipts", "/api/v1/contracts/999999/receipts", Json(r#"{"received_on": "2026-11-01", "amount": "100"}"#), "L 404 404 404 404 404 404 404"),
    ("POST", "/api/v1/contracts/import", "/api/v1/contracts/import", Multipart, "L 403 403 403 403 403 403 403"),
    ("GET", "/api/v1/stats/contracts", "/api/v1/stats/contracts", Empty, "200 200 200 200 200 200 200 200"),
    ("GET", "/api/v1/rankings/{year}", "/api/v1/rankings/2025", Empty, "200 200 200 200 200 200 200 200"),
    ("POST", "/api/v1/rankings/{year}/freeze", "/api/v1/rankings/2025/freeze", Json(r#"{"confirm": true}"#), "L 403 403 403 403 403 409 403"),
    // Ending the session: last.
    ("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", Json("{}"), "204 204 204 204 204 204 204 204"),
    ("POST", "/logout", "/logout", Form, "303 303 303 303 303 303 303 303"),
];

/// The real ids the matrix asks about.
struct Fixture {
    owner_institution: i64,
    owner_user: i64,
    draft: i64,
    published: i64,
    issue: i64,
    attachment: i64,
    match_id: i64,
    measure: String,
    call: i64,
    application: i64,
    carrier: i64,
}

impl Fixture {
    fn fill(&self, path: &str) -> String {
        path.replace("{owner_inst}", &self.owner_institution.to_string())
            .replace("{user}", &self.owner_user.to_string())
            .replace("{draft}", &self.draft.to_string())
            .replace("{published}", &self.published.to_string())
            .replace("{issue}", &self.issue.to_string())
            .replace("{attachment}", &self.attachment.to_string())
            .replace("{match}", &self.match_id.to_string())
            .replace("{measure}", &self.measure)
            .replace("{call}", &self.call.to_string())
            .replace("{application}", &self.application.to_string())
            .replace("{carrier}", &self.carrier.to_string())
    }
}

const PASSWORD: &str = "Secret-pass-1";

async fn account(
    server: &TestServer,
    username: &str,
    role: &str,
    district: &str,
    institution_id: Option<i64>,
) -> zijin_domain::User {
    let input = users::NewUserInput {
        username,
        display_name: username,
        password: PASSWORD,
        role,
        responsible_unit: if role == "reviewer" {
            "市科技局"
        } else {
            ""
        },
        district,
        institution_id,
    };
    users::create(&server.context.app, &Actor::System("test"), &input)
        .await
        .unwrap()
}

fn achievement_input<'a>(title: &'a str, modes: &'a [String]) -> AchievementInput<'a> {
    AchievementInput {
        title,
        summary: "可在零下40摄氏度稳定工作的锂离子电池电解液配方。",
        field: "新能源",
        keywords: "锂电池、电解液、低温",
        trl: "6",
        ip_items: &[],
        transfer_modes: modes,
        price: "1500000",
        contact_name: "王老师",
        contact_phone: "13812345678",
        source_flags: &[],
    }
}

/// Two institutions (the owner's in 江宁区, another in 玄武区), one account per role, and the
/// owner's records: a draft with an attachment, a published achievement in a published issue,
/// a demand with a match.
async fn people_and_records(server: &TestServer) -> (Vec<Actor>, Fixture) {
    let app = &server.context.app;
    let system = Actor::System("test");
    let institution = |name: &'static str, kind: &'static str, code: String, district| {
        let system = system.clone();
        async move {
            let input = zijin_domain::InstitutionInput {
                name,
                kind,
                credit_code: &code,
                district,
                contact_phone: "025-84000000",
                ..Default::default()
            };
            zijin_app::institutions::create(app, &system, &input)
                .await
                .unwrap()
                .id
        }
    };
    let code = |base: &str| {
        zijin_domain::CreditCode::complete(base)
            .unwrap()
            .to_string()
    };
    let owner_institution = institution(
        "南京紫峰科技有限公司",
        "enterprise",
        code("91320115MA1AAAAA0"),
        "江宁区",
    )
    .await;
    let other_institution = institution(
        "南京测试大学",
        "university",
        code("12320102MB1BBBBB0"),
        "玄武区",
    )
    .await;
    // A 合同登记机构 with its 合同登记员 (issue 18).
    let registry = institution(
        "南京测试技术合同登记处",
        "contract-registry",
        code("11320102MB1CCCCC0"),
        "玄武区",
    )
    .await;
    let accounts = [
        ("owner", "institution", "", Some(owner_institution)),
        ("other", "institution", "", Some(other_institution)),
        ("reviewer", "reviewer", "", None),
        ("district-here", "district", "江宁区", None),
        ("district-away", "district", "鼓楼区", None),
        ("admin", "admin", "", None),
        ("registrar", "contract-registrar", "", Some(registry)),
    ];
    let mut actors = vec![Actor::Anonymous];
    for (name, role, district, institution) in accounts {
        actors.push(Actor::User(
            account(server, name, role, district, institution).await,
        ));
    }
    let (owner, reviewer, admin) = (&actors[1], &actors[3], &actors[6]);
    let modes = vec!["许可".to_string()];

    let draft =
        records::create_achievement(app, owner, &achievement_input("低温锂电池电解液", &modes))
            .await
            .unwrap()
            .id;
    // The smallest PNG signature the content sniffer recognises as an image.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let attachment =
        records::add_attachment(app, owner, RecordKind::Achievement, draft, "图.png", png)
            .await
            .unwrap()
            .id;
    let published =
        records::create_achievement(app, owner, &achievement_input("宽温域电解液", &modes))
            .await
            .unwrap()
            .id;
    records::transition(
        app,
        owner,
        RecordKind::Achievement,
        published,
        Transition::Submit,
        "",
    )
    .await
    .unwrap();
    records::transition(
        app,
        reviewer,
        RecordKind::Achievement,
        published,
        Transition::Approve,
        "",
    )
    .await
    .unwrap();
    let issue = zijin_app::lists::open_issue(app, admin, "2026年第4期")
        .await
        .unwrap()
        .id;
    zijin_app::lists::publish(app, admin, issue).await.unwrap();
    let demand = records::create_demand(
        app,
        owner,
        &DemandInput {
            title: "冬季电动车续航提升",
            description: "希望合作开发低温电池技术。",
            field: "new-energy",
            keywords: "续航、低温电池",
            cooperation_modes: &modes,
            budget_min: "",
            budget_max: "",
            wanted_trl: "",
            deadline: "",
            contact_name: "李经理",
            contact_phone: "025-52000000",
        },
    )
    .await
    .unwrap()
    .id;
    // A recommendation made directly: the test server runs without the search index.
    sqlx::query(
        "INSERT INTO matches (demand_id, achievement_id, score_milli, reasons, stage, field, district, \
         recommended_at, updated_at) VALUES ($1, $2, 800, '[]', 'recommended', 'new-energy', 'jiangning', \
         '2026-11-28T09:00:00.000Z', '2026-11-28T09:00:00.000Z')",
    )
    .bind(demand)
    .bind(published)
    .execute(app.store().pool())
    .await
    .unwrap();
    let match_id: (i64,) = sqlx::query_as("SELECT MAX(id) FROM matches")
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    let measure = zijin_testkit::shipped_policies()
        .measures
        .first()
        .map(|measure| measure.id.clone())
        .expect("a shipped measure");
    // A call and the owner's application, submitted: it waits at the district's step.
    let policied = app.clone().with_policies(zijin_testkit::shipped_policies());
    let call = zijin_app::applications::calls::create(
        &policied,
        admin,
        &zijin_app::applications::CallInput {
            title: "赋权改革资助申报".into(),
            measures: vec!["a18-empowerment".into()],
            opens: "2026-11-28T08:00:00+08:00".into(),
            closes: "2026-12-18T17:00:00+08:00".into(),
            budgets: [("a18-empowerment".to_string(), "1000000".to_string())].into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .call
    .id;
    let application = zijin_app::applications::filing::draft(
        &policied,
        owner,
        &zijin_app::applications::ApplicationInput {
            call,
            measure: "a18-empowerment".into(),
            facts: json!({"pilot_unit": true, "empowered_count": 2})
                .as_object()
                .unwrap()
                .clone(),
            integrity_accepted: true,
            ..payee()
        },
    )
    .await
    .unwrap()
    .application
    .id;
    zijin_app::applications::filing::submit(&policied, owner, application)
        .await
        .unwrap();
    let owner_user = actors[1].user().unwrap().id;
    // The owner's institution runs a recognised 科技服务机构.
    let carrier =
        zijin_app::carriers::recognise(app, &system, &code("91320115MA1AAAAA0"), "service-org", "")
            .await
            .unwrap();
    (
        actors,
        Fixture {
            owner_institution,
            owner_user,
            draft,
            published,
            issue,
            attachment,
            match_id: match_id.0,
            measure,
            call,
            application,
            carrier,
        },
    )
}

/// A visitor's client and CSRF token: signed in through the login form, or (anonymous) with
/// the token the login page sets for anonymous forms.
async fn visitor(server: &TestServer, actor: &Actor) -> (Client, String) {
    let client = client();
    let page = client
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let anonymous_token = csrf_of(&page);
    let Some(user) = actor.user() else {
        return (client, anonymous_token);
    };
    let form = [
        ("_csrf", anonymous_token),
        ("username", user.username.clone()),
        ("password", PASSWORD.into()),
        ("next", "/".into()),
    ];
    let response = client
        .post(server.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "login of {}", user.username);
    let home = client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, csrf_of(&home))
}

/// The answer as the matrix writes it: `L` for "sign in first", else the status code.
fn answer(response: &reqwest::Response) -> String {
    let status = response.status().as_u16();
    let to_login = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .is_some_and(|l| l.starts_with("/login"));
    if (status == 303 && to_login) || status == 401 && !response.url().path().ends_with("/login") {
        "L".into()
    } else {
        status.to_string()
    }
}

async fn ask(
    server: &TestServer,
    client: &Client,
    csrf: &str,
    method: &str,
    path: &str,
    body: Body,
) -> String {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let request = client.request(method, server.url(path));
    let request = match body {
        Empty => request,
        Form => request.form(&[("_csrf", csrf)]),
        FormWith(fields) => {
            let mut form = vec![("_csrf", csrf)];
            form.extend(fields.iter().copied());
            request.form(&form)
        }
        Multipart => {
            request.multipart(reqwest::multipart::Form::new().text("_csrf", csrf.to_string()))
        }
        Json(text) => request
            .header("x-csrf-token", csrf)
            .header("content-type", "application/json")
            .body(text),
    };
    let response = request.send().await.unwrap();
    answer(&response)
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let routed: BTreeSet<(String, String)> = zijin_web::routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let rows: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(method, route, ..)| (method.to_string(), route.to_string()))
        .collect();
    let missing: Vec<_> = routed.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorisation matrix (add one to MATRIX in \
         crates/web/tests/integration/access_matrix.rs): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows of routes that no longer exist: {stale:?}"
    );
    for (_, _, _, _, answers) in MATRIX {
        assert_eq!(answers.split_whitespace().count(), ROLES.len(), "{answers}");
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    for backend in BACKENDS {
        check_matrix(backend).await;
    }
}

async fn check_matrix(backend: Backend) {
    let server = spawn_app(backend).await;
    let (actors, fixture) = people_and_records(&server).await;
    let mut visitors = Vec::new();
    for actor in &actors {
        visitors.push(visitor(&server, actor).await);
    }
    pages_and_api_agree_on_contacts(&server, &visitors, &fixture).await;
    let mut wrong = Vec::new();
    for (method, _, path, body, answers) in MATRIX {
        let path = fixture.fill(path);
        let expected: Vec<&str> = answers.split_whitespace().collect();
        for (index, (client, csrf)) in visitors.iter().enumerate() {
            if path.ends_with("/login") && *method == "POST" {
                // Wrong passwords from one address are throttled after five (tested on their
                // own); this row measures who may ask, so each ask starts with fresh counters.
                sqlx::query("DELETE FROM login_throttle")
                    .execute(server.context.app.store().pool())
                    .await
                    .unwrap();
            }
            let got = ask(&server, client, csrf, method, &path, *body).await;
            if got != expected[index] {
                wrong.push(format!(
                    "{method} {path} as {}: expected {}, got {got}",
                    ROLES[index], expected[index]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{backend:?}:\n{}", wrong.join("\n"));
}

/// Who sees the full contact phone of a record, in the order of ROLES: the owner, reviewers
/// and admins; the public, other institutions and district officers see it masked.
const FULL_CONTACTS: [bool; 8] = [false, true, false, true, false, false, true, false];

/// Who sees an institution's contacts, in the order of ROLES.
const INSTITUTION_CONTACTS: [bool; 8] = [false, true, false, true, true, false, true, false];

/// The record page and the API show each visitor the same phone and the same capabilities,
/// because both render the one answer of `app` (before, a reviewer saw the full phone on the
/// page and the masked one in the API).
async fn pages_and_api_agree_on_contacts(
    server: &TestServer,
    visitors: &[(Client, String)],
    fixture: &Fixture,
) {
    let id = fixture.published;
    for (index, (client, _)) in visitors.iter().enumerate() {
        let role = ROLES[index];
        let page = client
            .get(server.url(&format!("/records/achievement/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let api: serde_json::Value = client
            .get(server.url(&format!("/api/v1/records/achievement/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let expected = if FULL_CONTACTS[index] {
            "13812345678"
        } else {
            "138****5678"
        };
        assert_eq!(api["contact_phone"], expected, "API phone for {role}");
        assert_eq!(
            api["capabilities"]["see_contacts"],
            json!(FULL_CONTACTS[index]),
            "{role}"
        );
        assert!(page.contains(expected), "page phone for {role}");
        let hidden = if FULL_CONTACTS[index] {
            "138****5678"
        } else {
            "13812345678"
        };
        assert!(
            !page.contains(hidden),
            "the page shows {role} the other phone"
        );
        // An institution's contacts: its own users, reviewers, the officer of its district and
        // admins; not the officer of another district.
        let institution_page = client
            .get(server.url(&format!("/institutions/{}", fixture.owner_institution)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let institution_api: serde_json::Value = client
            .get(server.url(&format!(
                "/api/v1/institutions/{}",
                fixture.owner_institution
            )))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sees = INSTITUTION_CONTACTS[index];
        assert_eq!(
            institution_api["contact_phone"] == json!("025-84000000"),
            sees,
            "institution API contacts for {role}"
        );
        assert_eq!(
            institution_page.contains("025-84000000"),
            sees,
            "institution page contacts for {role}"
        );
        // The page offers the priority button exactly when the API says the caller may.
        assert_eq!(
            page.contains(&format!("/records/achievement/{id}/priority"))
                || page.contains(&format!("/records/achievement/{id}/unpriority")),
            api["capabilities"]["priority"] == json!(true),
            "priority button for {role}"
        );
    }
}

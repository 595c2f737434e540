//! The API's lists page by cursor and name the next page in `Link: rel="next"` (issue 20), on
//! both backends; a page far past the end is empty, not a server error; a whole number written
//! as `3.0` is read as an integer.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zijin_testkit::{BACKENDS, spawn_app};

use super::{add_user, api_login, problem};

fn next_of(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?.to_string();
    let (address, rel) = link.split_once(">; ")?;
    assert_eq!(rel, "rel=\"next\"");
    Some(address.trim_start_matches('<').to_string())
}

#[tokio::test]
async fn lists_follow_their_next_links_to_the_end() {
    for backend in BACKENDS {
        let server = spawn_app(backend).await;
        add_user(&server, "admin", "admin", "", "", None).await;
        let (admin, csrf) = api_login(&server, "admin").await;
        for n in 0..3 {
            let issued = admin
                .post(server.url("/api/v1/api-keys"))
                .header("x-csrf-token", &csrf)
                // 600.0 is the integer 600 to JSON.
                .json(&json!({"username": "admin", "note": format!("系统 {n}"), "scopes": ["all"], "expires_on": "2027-06-30", "per_minute": 600.0}))
                .send()
                .await
                .unwrap();
            assert_eq!(issued.status(), StatusCode::CREATED, "{backend:?}");
        }
        // Two a page: the first page names the second, the second is the last.
        let first = admin
            .get(server.url("/api/v1/api-keys?limit=2"))
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let next = next_of(&first).expect("a next link");
        let first: Vec<Value> = first.json().await.unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(first[0]["per_minute"], 600);
        let second = admin.get(server.url(&next)).send().await.unwrap();
        assert_eq!(next_of(&second), None);
        let second: Vec<Value> = second.json().await.unwrap();
        assert_eq!(second.len(), 1);
        let mut notes: Vec<String> = first
            .iter()
            .chain(&second)
            .map(|k| k["note"].as_str().unwrap().to_string())
            .collect();
        notes.sort();
        assert_eq!(notes, ["系统 0", "系统 1", "系统 2"]);
        // A cursor whose item is not in the list: 404; a limit out of range: 400, in words.
        let (status, body) = problem(
            admin
                .get(server.url("/api/v1/api-keys?cursor=999999"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = problem(
            admin
                .get(server.url("/api/v1/api-keys?limit=0"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["errors"][0]["field"], "limit", "{body}");
        // A numbered page far past the end: empty, no next page (was an overflow, 500).
        let far = admin
            .get(server.url("/api/v1/contracts?page=9223372036854775806"))
            .send()
            .await
            .unwrap();
        assert_eq!(far.status(), StatusCode::OK);
        assert_eq!(next_of(&far), None);
        let far: Value = far.json().await.unwrap();
        assert_eq!(far["items"], json!([]), "{far}");
        assert_eq!(far["next"], Value::Null, "{far}");
    }
}

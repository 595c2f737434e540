//! Semantic matching with the real model (issue 6): records get vectors in the background
//! after they are indexed, are then found by meaning, keep their vectors across restarts, and
//! the switch turns the signal off. Both backends. Needs the fetched model (`ZIJIN_E5_MODEL`,
//! set by `./scripts/test`).

use std::sync::Arc;

use zijin_app::records;
use zijin_app::search::{Embedder, MatchConfig, Search, SearchRequest};
use zijin_domain::{AchievementInput, RecordKind, Transition};
use zijin_testkit::{BACKENDS, TestContext};

use super::two_lists::{achievement, people};

fn model() -> Arc<Embedder> {
    let path = std::env::var("ZIJIN_E5_MODEL")
        .expect("ZIJIN_E5_MODEL: the semantic model's file (scripts/fetch-model)");
    Arc::new(Embedder::load(std::path::Path::new(&path)).expect("the model loads"))
}

#[tokio::test]
async fn records_are_found_by_meaning_once_their_vectors_are_ready() {
    let model = model();
    for backend in BACKENDS {
        let context = TestContext::new(backend).await;
        let p = people(&context).await;
        let directory = tempfile::tempdir().unwrap();
        let search = Search::open(
            &context.app,
            directory.path(),
            MatchConfig::shipped(),
            Some(model.clone()),
        )
        .await
        .unwrap();
        assert!(search.is_semantic());
        let with_search = context.app.clone().with_search(search.clone());
        let app = &with_search;
        let modes = vec!["转让".to_string()];
        for (title, summary, keywords) in [
            (
                "宽温域锂离子电池电解液",
                "零下四十摄氏度仍保持容量的电解液配方。",
                "电解液",
            ),
            (
                "中药饮片炮制工艺",
                "传统中药饮片的炮制与质量控制方法。",
                "中药、饮片",
            ),
        ] {
            let input = AchievementInput {
                summary,
                keywords,
                ..achievement(title, &modes, &[])
            };
            let a = records::create_achievement(app, &p.university, &input)
                .await
                .unwrap();
            for (actor, step) in [
                (&p.university, Transition::Submit),
                (&p.reviewer, Transition::Approve),
            ] {
                records::transition(app, actor, RecordKind::Achievement, a.id, step, "")
                    .await
                    .unwrap();
            }
        }
        search.catch_up(app).await.unwrap();
        search.wait_for_vectors(&|_| {}).await;
        let progress = search.embedding_progress();
        assert_eq!((progress.ready, progress.waiting), (2, 0), "{backend:?}");

        let need = "北方冬天电动车续航掉得厉害";
        let found = search.recommend_for_text(app, need, None, 5).await.unwrap();
        assert_eq!(found[0].title, "宽温域锂离子电池电解液", "{found:?}");
        let reasons = found[0].reasons().join("；");
        assert!(
            reasons.contains("语义相近（相似度 ") && reasons.contains("%）"),
            "{reasons}"
        );
        // The owner finds its (unpublished) record from the search box by meaning alone.
        let results = search
            .search(&p.university, SearchRequest::new(need))
            .await
            .unwrap();
        assert_eq!(results.hits[0].title, "宽温域锂离子电池电解液");
        assert!(results.hits[0].matched.is_empty() && results.hits[0].similarity.is_some());
        assert_eq!(results.total, 1, "{results:?}");

        // Opened again (the first index closed), the vectors are read back, not computed again.
        drop(with_search);
        drop(search);
        let search = Search::open(
            &context.app,
            directory.path(),
            MatchConfig::shipped(),
            Some(model.clone()),
        )
        .await
        .unwrap();
        search.wait_for_vectors(&|_| {}).await;
        let progress = search.embedding_progress();
        assert_eq!((progress.ready, progress.done), (2, 0), "{backend:?}");

        // The switch in the configuration: the text alone, no vectors.
        let mut off = MatchConfig::shipped();
        off.semantic.enabled = false;
        let other = tempfile::tempdir().unwrap();
        let text_only = Search::open(&context.app, other.path(), off, Some(model.clone()))
            .await
            .unwrap();
        assert!(!text_only.is_semantic());
        let found = text_only
            .recommend_for_text(&context.app, need, None, 5)
            .await
            .unwrap();
        assert!(found.iter().all(|r| !r.reasons().join("").contains("语义")));
        assert!(!other.path().join("vectors.bin").exists());
    }
}

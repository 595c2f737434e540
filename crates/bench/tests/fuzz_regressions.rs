//! Every input the fuzzer once broke the code with (`tests/fuzz-regressions/TARGET/`), and the
//! seed corpus (`tests/fuzz-corpus/TARGET/` and the seeds made in code), through each target's
//! property — on the stable compiler, in every `cargo test`. `bench/fuzz` is the long run.

use zijin_bench::fuzz::{self, Target};

/// Runs a target's property on inputs; the failures, named.
fn failures(target: &Target, inputs: &[(String, Vec<u8>)]) -> Vec<String> {
    fuzz::quiet_panics();
    inputs
        .iter()
        .filter_map(|(name, input)| {
            fuzz::execute(target.check, input)
                .err()
                .map(|(_, message)| format!("{}/{name}: {message}", target.name))
        })
        .collect()
}

#[test]
fn every_kept_crash_input_is_now_handled() {
    let mut kept = 0;
    let mut broken = Vec::new();
    for target in fuzz::targets() {
        let inputs = fuzz::stored_inputs("fuzz-regressions", target.name);
        kept += inputs.len();
        broken.extend(failures(&target, &inputs));
    }
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(kept > 0, "the regressions directory was not found");
}

#[test]
fn the_seed_corpus_passes_every_property() {
    let mut broken = Vec::new();
    for target in fuzz::targets() {
        let mut inputs = fuzz::stored_inputs("fuzz-corpus", target.name);
        inputs.extend(
            (target.seeds)()
                .into_iter()
                .enumerate()
                .map(|(index, bytes)| (format!("seed {index}"), bytes)),
        );
        assert!(!inputs.is_empty(), "{}: no seeds", target.name);
        broken.extend(failures(&target, &inputs));
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// A short fuzzing run of every target, so the generators themselves keep working: a fixed
/// seed, the same few hundred inputs each time.
#[test]
fn a_short_run_of_every_target_finds_nothing() {
    for target in fuzz::targets() {
        let seeds = fuzz::all_seeds(&target);
        let mut executions = 0;
        let summary = fuzz::run(
            &target,
            seeds,
            fuzz::Limit {
                time: std::time::Duration::from_secs(600),
                executions: 300,
            },
            14,
            None,
            &mut |n| executions = n,
            &mut |_| {},
        )
        .expect("no files are written");
        assert_eq!(summary.executions, 300, "{}", target.name);
        assert_eq!(executions, 300, "{}: progress reported", target.name);
        assert!(
            summary.findings.is_empty(),
            "{}: {:#?}",
            target.name,
            summary
                .findings
                .iter()
                .map(|f| (&f.message, String::from_utf8_lossy(&f.input)))
                .collect::<Vec<_>>()
        );
    }
}

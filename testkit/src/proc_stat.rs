//! `/proc/<pid>/stat` and `/proc/<pid>/task/<tid>/stat` read as a name and fields (shared by
//! `tests/cli.rs`, which checks the threads' nice values, and the soak's CPU figures).

/// The command name of a `stat` file and its fields after the name, so that field `n` of
/// proc(5) (1-based, the state is field 3) is at index `n - 3`. The name is inside the first
/// `(` and the last `)`: it may hold spaces and parentheses itself.
pub fn stat_fields(path: &std::path::Path) -> Option<(String, Vec<String>)> {
    let text = std::fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_owned();
    let fields = text
        .get(close + 1..)?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    Some((name, fields))
}

/// [`stat_fields`] of every thread of process `pid` (`"self"` for this one); threads gone
/// while reading are left out.
pub fn thread_stats(pid: &str) -> Vec<(String, Vec<String>)> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| stat_fields(&task.path().join("stat")))
        .collect()
}

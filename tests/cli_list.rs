//! `list` (filters and keyset paging) and `search`.

mod common;

use common::*;
use serde_json::Value;

/// A database of 300 generated tickets with varied states, services,
/// priorities, levels and assignees, and its full list (newest first).
fn generated() -> (Env, Vec<Value>) {
    let env = Env::new();
    env.ok(&["generate", "--tickets", "300", "--seed", "11"]);
    let all = env.json(&["list", "--json", "--limit", "1000"]);
    let all = all.as_array().expect("array").clone();
    assert_eq!(all.len(), 300);
    (env, all)
}

fn num(key: &str) -> i64 {
    key.rsplit_once('-')
        .expect("key")
        .1
        .parse()
        .expect("number")
}

/// Filter arguments and the predicate they stand for.
type Case = (Vec<String>, Box<dyn Fn(&Value) -> bool>);

fn expected(all: &[Value], limit: usize, pred: impl Fn(&Value) -> bool) -> Vec<String> {
    all.iter()
        .filter(|t| pred(t))
        .take(limit)
        .map(key_of)
        .collect()
}

#[test]
fn list_is_newest_first_and_limited() {
    let (env, all) = generated();
    let nums: Vec<i64> = all.iter().map(|t| num(&key_of(t))).collect();
    assert!(nums.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(nums[0], 300);
    assert_eq!(env.list_keys(&[]).len(), 50, "default page is 50");
    assert_eq!(
        env.list_keys(&["--limit", "7"]),
        expected(&all, 7, |_| true)
    );
    // Table output: a header and one line per ticket.
    let out = env.ok(&["list", "--limit", "5"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].starts_with("KEY"), "{out}");
    assert!(lines[1].starts_with("BOG-300 "), "{out}");
}

#[test]
fn list_filters_match_a_filtered_full_list() {
    let (env, all) = generated();
    let s = |t: &Value, k: &str| t[k].as_str().map(String::from);
    // Pick filter values that occur in the data.
    let service = s(&all[0], "service").expect("service");
    let assignee = all
        .iter()
        .find_map(|t| s(t, "assignee"))
        .expect("some ticket is assigned");
    let cases: Vec<Case> = vec![
        (
            vec!["--status".into(), "closed".into()],
            Box::new(|t: &Value| t["status"] == "closed"),
        ),
        (
            vec![
                "--status".into(),
                "new".into(),
                "--status".into(),
                "waiting".into(),
                "--status".into(),
                "rejected".into(),
            ],
            Box::new(|t: &Value| {
                ["new", "waiting", "rejected"].contains(&t["status"].as_str().unwrap_or(""))
            }),
        ),
        // A state named twice lists each ticket once.
        (
            vec![
                "--status".into(),
                "new".into(),
                "--status".into(),
                "waiting".into(),
                "--status".into(),
                "new".into(),
            ],
            Box::new(|t: &Value| ["new", "waiting"].contains(&t["status"].as_str().unwrap_or(""))),
        ),
        (
            vec!["--open".into()],
            Box::new(|t: &Value| {
                ["new", "assigned", "in_progress", "waiting"]
                    .contains(&t["status"].as_str().unwrap_or(""))
            }),
        ),
        (
            vec!["--priority".into(), "high".into()],
            Box::new(|t: &Value| t["priority"] == "high"),
        ),
        (
            vec!["--service".into(), service.clone()],
            Box::new(move |t: &Value| t["service"] == service.as_str()),
        ),
        (
            vec!["--assignee".into(), assignee.clone()],
            Box::new(move |t: &Value| t["assignee"] == assignee.as_str()),
        ),
        (
            vec!["--assignee".into(), "none".into()],
            Box::new(|t: &Value| t["assignee"].is_null()),
        ),
        (
            vec!["--level".into(), "2".into()],
            Box::new(|t: &Value| t["level"] == 2),
        ),
        (
            vec![
                "--status".into(),
                "closed".into(),
                "--priority".into(),
                "medium".into(),
                "--level".into(),
                "1".into(),
            ],
            Box::new(|t: &Value| {
                t["status"] == "closed" && t["priority"] == "medium" && t["level"] == 1
            }),
        ),
    ];
    for (args, pred) in &cases {
        let want = expected(&all, 1000, pred);
        assert!(
            !want.is_empty(),
            "{args:?} matches nothing in the data; pick another value"
        );
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--limit", "1000"]);
        assert_eq!(env.list_keys(&a), want, "list {args:?}");
        // And limited.
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--limit", "3"]);
        assert_eq!(
            env.list_keys(&a),
            want[..want.len().min(3)],
            "list {args:?} --limit 3"
        );
    }
}

#[test]
fn keyset_paging_has_no_overlap_and_no_gap() {
    let (env, all) = generated();
    let full: Vec<String> = all.iter().map(key_of).collect();
    for filters in [
        vec![],
        vec![
            "--status",
            "closed",
            "--status",
            "in_progress",
            "--status",
            "new",
        ],
        vec!["--open"],
        vec!["--assignee", "none"],
    ] {
        let want: Vec<String> = {
            let mut a = filters.clone();
            a.extend(["--limit", "1000"]);
            env.list_keys(&a)
        };
        let mut got: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut a = filters.clone();
            a.extend(["--limit", "17"]);
            if let Some(k) = &after {
                a.extend(["--after", k.as_str()]);
            }
            let page = env.list_keys(&a);
            pages += 1;
            assert!(pages < 100, "paging does not end");
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 17);
            if let Some(k) = &after {
                assert!(num(&page[0]) < num(k), "page starts after {k}: {page:?}");
            }
            after = page.last().cloned();
            got.extend(page);
        }
        assert_eq!(
            got, want,
            "pages of {filters:?} concatenated == one full list"
        );
        if filters.is_empty() {
            assert_eq!(got, full);
        }
    }
    // Page 2 continues exactly after page 1.
    let p1 = env.list_keys(&["--limit", "50"]);
    let p2 = env.list_keys(&["--limit", "50", "--after", p1.last().expect("key")]);
    assert_eq!([p1, p2].concat(), full[..100]);
    // After the oldest ticket there is nothing.
    assert!(env.list_keys(&["--after", "BOG-1"]).is_empty());
    assert_eq!(
        env.ok(&["list", "--after", "BOG-1"]).trim_end(),
        "no matching tickets"
    );
}

#[test]
fn list_query_filters_by_text() {
    let env = Env::new();
    let a = env.incident("Facturación detenida", "El ciclo 12 no avanza");
    let b = env.support("Buzón lleno", "No recibe correos de facturación externa");
    let c = env.support("Impresora", "Sin tóner");
    env.ok(&["comment", &c, "También falla la facturación electrónica"]);
    let _d = env.support("Otra cosa", "Nada que ver");
    assert_eq!(
        env.list_keys(&["--query", "facturacion"]),
        [c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        env.list_keys(&["--query", "facturación", "--service", "correo"]),
        [c.clone(), b.clone()]
    );
    assert_eq!(
        env.list_keys(&["--query", "facturación", "--status", "new", "--limit", "1"]),
        [c.as_str()]
    );
    assert_eq!(env.list_keys(&["--query", "tóner"]), [c]);
    assert!(env.list_keys(&["--query", "inexistente"]).is_empty());
}

#[test]
fn list_refuses_unknown_filter_values() {
    let env = Env::new();
    env.support("Algo", "Algo");
    let err = env.fail(&["list", "--status", "flying"]);
    assert!(err.contains("unknown status 'flying'"), "{err}");
    assert!(err.contains("in_progress"), "lists the states: {err}");
    assert_eq!(
        err.matches("in_progress").count(),
        1,
        "each state once: {err}"
    );
    let err = env.fail(&["list", "--priority", "urgent"]);
    assert!(err.contains("unknown priority 'urgent'"), "{err}");
    assert!(err.contains("critical, high, medium, low"), "{err}");
    let err = env.fail(&["list", "--service", "sap"]);
    assert!(err.contains("unknown service 'sap'"), "{err}");
    let err = env.fail(&["list", "--level", "9"]);
    assert!(err.contains("level 9 does not exist"), "{err}");
    let err = env.fail(&["list", "--after", "foo"]);
    assert!(err.contains("'foo' is not a ticket key"), "{err}");
    let err = env.fail(&["list", "--after", "BOG-99999"]);
    assert!(err.contains("no ticket 'BOG-99999'"), "{err}");
    for args in [
        &["list", "--limit", "0"][..],
        &["list", "--limit", "1001"][..],
        &["list", "--open", "--status", "new"][..],
    ] {
        let out = env.cmd().args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?} is a usage error");
    }
}

#[test]
fn search_finds_title_description_and_comment_words_without_accents() {
    let env = Env::new();
    let by_title = env.incident("Error al generar la facturación", "El ciclo no cierra");
    let by_desc = env.support("Correo lento", "Los adjuntos de facturación tardan");
    let by_comment = env.support("Impresora", "Sin tóner");
    env.ok(&[
        "comment",
        &by_comment,
        "El proveedor de facturacion dice que mañana",
    ]);
    env.support("Sin relación", "Nada que ver");

    let hits = keys(&env.json(&["search", "facturacion", "--json"]));
    let mut sorted = hits.clone();
    sorted.sort();
    let mut want = vec![by_title.clone(), by_desc.clone(), by_comment.clone()];
    want.sort();
    assert_eq!(
        sorted, want,
        "accent-insensitive search over title, description, comments"
    );
    let hits = keys(&env.json(&["search", "FACTURACIÓN", "--json"]));
    assert_eq!(hits.len(), 3, "case and accents do not matter: {hits:?}");

    assert_eq!(
        keys(&env.json(&["search", "ciclo", "--json"])),
        [by_title.as_str()]
    );
    assert_eq!(
        keys(&env.json(&["search", "proveedor", "--json"])),
        [by_comment.as_str()]
    );
    assert_eq!(
        keys(&env.json(&["search", "manana", "--json"])),
        [by_comment.as_str()]
    );
    // Several words are ANDed; a trailing * is a prefix.
    assert_eq!(
        keys(&env.json(&["search", "adjuntos facturación", "--json"])),
        [by_desc.as_str()]
    );
    assert_eq!(
        keys(&env.json(&["search", "impre*", "--json"])),
        [by_comment.as_str()]
    );
    // JSON hits are tickets with a rank.
    let v = env.json(&["search", "ciclo", "--json"]);
    assert!(v[0]["rank"].is_number(), "{v}");
    assert_eq!(v[0]["title"], "Error al generar la facturación");
    // Table and empty answers.
    let out = env.ok(&["search", "proveedor"]);
    assert!(out.contains(&by_comment), "{out}");
    assert_eq!(env.ok(&["search", "inexistente"]).trim_end(), "no results");
    // FTS syntax in the query is not an error.
    for q in ["a\"b OR (x)", "-- **", "NEAR(", "col:val"] {
        env.ok(&["search", "--", q]);
    }
    assert_eq!(
        keys(&env.json(&["search", "facturación", "--limit", "1", "--json"])).len(),
        1
    );
}

#[test]
fn search_sees_edits() {
    let env = Env::new();
    let key = env.support("Título viejo", "Descripción vieja");
    assert_eq!(
        keys(&env.json(&["search", "viejo", "--json"])),
        [key.as_str()]
    );
    env.ok(&["set", &key, "title=Título renovado"]);
    assert!(keys(&env.json(&["search", "viejo", "--json"])).is_empty());
    assert_eq!(keys(&env.json(&["search", "renovado", "--json"])), [key]);
}

/// On a narrow terminal the table leaves out columns (service first) rather
/// than printing rows wider than the screen, which would wrap into an
/// unreadable staircase; key, status and title always stay.
#[test]
fn a_narrow_terminal_gets_rows_that_fit() {
    let env = Env::new();
    env.incident("Impresora de la sede norte sin papel", "No imprime");
    env.support("Solicitud de acceso al sistema de compras", "Acceso");
    for columns in [40usize, 60, 80] {
        let out = env
            .cmd_as("ana")
            .env("COLUMNS", columns.to_string())
            .args(["list"])
            .output()
            .expect("run guardia");
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        for line in text.lines() {
            assert!(
                line.chars().count() <= columns,
                "COLUMNS={columns}: {} columns: {line}",
                line.chars().count()
            );
        }
        let header = text.lines().next().expect("header");
        for kept in ["KEY", "STATUS", "TITLE"] {
            assert!(header.contains(kept), "COLUMNS={columns}: {header}");
        }
        assert!(text.contains("BOG-1"), "{text}");
        if columns == 40 {
            assert!(!header.contains("SERVICE"), "{header}");
        }
    }
}

/// `--open` is the console's Open view: problems and known errors are
/// records, not the queue's work, and are left out unless `--records`
/// asks for them; a list of every state, and the overview without a
/// terminal, follow the same views (All includes them, Open does not).
#[test]
fn open_lists_leave_records_out_unless_asked() {
    let env = Env::new();
    let incident = env.incident("Impresora sin tóner", "piso 3");
    let problem = env.problem("Impresoras que fallan", "varias");
    let known = env.known_error("osf", "Impresora atascada", "no imprime", "reiniciar");
    let keys = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        env.json(&all)
            .as_array()
            .expect("array")
            .iter()
            .map(|t| t["key"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(keys(&["--open"]), vec![incident.clone()]);
    assert_eq!(
        keys(&["--open", "--records"]),
        vec![known.clone(), problem.clone(), incident.clone()]
    );
    assert_eq!(
        keys(&[]),
        vec![known.clone(), problem.clone(), incident.clone()]
    );
    // A record assigned to someone is their work, as in "My tickets".
    env.ok(&["assign", &problem, "bruno"]);
    assert_eq!(
        keys(&["--open", "--assignee", "bruno"]),
        vec![problem.clone()]
    );
    assert_eq!(
        keys(&["--open", "--assignee", "none"]),
        vec![incident.clone()]
    );
    let usage = env.output_as("ana", &["list", "--records"]);
    assert_eq!(usage.status.code(), Some(2), "--records needs --open");
    // Without a terminal, `guardia` prints the newest open tickets: the queue's.
    let overview = env.ok(&[]);
    assert!(overview.contains(&incident), "{overview}");
    assert!(
        !overview.contains(&problem) && !overview.contains(&known),
        "{overview}"
    );
}

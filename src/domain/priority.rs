//! Priority: the impact × urgency matrix, then the organisation's rules that
//! raise it (seed 000 §8: an affected High-criticality integration, a critical
//! business process, a total outage).

use crate::config::{Config, Criticality, Service};
use crate::domain::ticket::field_text;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriorityDecision {
    pub priority: String,
    /// What the matrix alone gave.
    pub from_matrix: String,
    /// Rules that raised it, in order.
    pub raised_by: Vec<String>,
}

/// Computes the priority of a ticket. `impact` and `urgency` must be valid ids.
pub fn compute(
    cfg: &Config,
    service: Option<&Service>,
    impact: &str,
    urgency: &str,
    fields: &Map<String, Value>,
) -> PriorityDecision {
    let from_matrix = cfg
        .priority
        .matrix
        .get_ref()
        .get(impact)
        .and_then(|row| row.get(urgency))
        .map(|p| p.get_ref().clone())
        // Validation guarantees the cell exists; the lowest priority is the safe fallback.
        .unwrap_or_else(|| lowest(cfg));
    let mut priority = from_matrix.clone();
    let mut raised_by = Vec::new();
    for rule in &cfg.priority.rules {
        if !rule_holds(rule, service, fields) {
            continue;
        }
        let target = rule.min_priority.get_ref();
        if rank(cfg, target) < rank(cfg, &priority) {
            priority = target.clone();
            raised_by.push(rule.id.get_ref().clone());
        }
    }
    PriorityDecision {
        priority,
        from_matrix,
        raised_by,
    }
}

fn rule_holds(
    rule: &crate::config::PriorityRule,
    service: Option<&Service>,
    fields: &Map<String, Value>,
) -> bool {
    if let Some(min) = rule.related_criticality {
        let crit = affected_criticality(service, fields);
        if crit.is_none_or(|c| c < min) {
            return false;
        }
    }
    if let Some(field) = &rule.field {
        match field_text(fields, field.get_ref()) {
            None => return false,
            Some(v) if !rule.values.is_empty() && !rule.values.contains(&v) => return false,
            Some(_) => {}
        }
    }
    true
}

/// Criticality of the related application named in `affected_application`.
pub fn affected_criticality(
    service: Option<&Service>,
    fields: &Map<String, Value>,
) -> Option<Criticality> {
    let app = field_text(fields, "affected_application")?;
    related_app(service?, &app).map(|r| r.criticality)
}

/// The related application of `service` named `app`, by id or name.
fn related_app<'a>(service: &'a Service, app: &str) -> Option<&'a crate::config::RelatedApp> {
    service
        .related
        .iter()
        .find(|r| r.id.get_ref() == app || r.name.eq_ignore_ascii_case(app))
}

/// Why the `affected_application` given is not one of the service's related
/// applications, if it is not: a typo would silently lose the priority raise
/// of seed 000 §8.
pub fn unknown_application(
    service: Option<&Service>,
    service_id: &str,
    fields: &Map<String, Value>,
) -> Option<String> {
    let app = field_text(fields, "affected_application")?;
    if service.is_some_and(|s| related_app(s, &app).is_some()) {
        return None;
    }
    let related = service.map(|s| s.related.as_slice()).unwrap_or_default();
    let known: Vec<&str> = related.iter().map(|r| r.id.get_ref().as_str()).collect();
    Some(if known.is_empty() {
        format!(
            "'{app}': service '{service_id}' has no related applications in services.toml; leave the field empty"
        )
    } else {
        format!(
            "'{app}' is not a related application of service '{service_id}'; known: {}",
            known.join(", ")
        )
    })
}

fn rank(cfg: &Config, id: &str) -> usize {
    cfg.priority_rank(id).unwrap_or(usize::MAX)
}

fn lowest(cfg: &Config) -> String {
    cfg.priority
        .priorities
        .last()
        .map(|g| g.id.get_ref().clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn matrix_gives_priority() {
        let cfg = Config::builtin().expect("config");
        let svc = cfg.service("osf");
        let d = compute(&cfg, svc, "high", "high", &Map::new());
        assert_eq!(d.priority, "critical");
        assert!(d.raised_by.is_empty());
        let d = compute(&cfg, svc, "low", "low", &Map::new());
        assert_eq!(d.priority, "low");
    }

    #[test]
    fn high_criticality_integration_raises_priority() {
        let cfg = Config::builtin().expect("config");
        let svc = cfg.service("osf");
        let f = obj(json!({"affected_application": "movilidad"}));
        let d = compute(&cfg, svc, "low", "low", &f);
        assert_eq!(d.from_matrix, "low");
        assert_eq!(d.priority, "high");
        assert_eq!(d.raised_by, ["integracion-critica"]);
        // seed 000 §8: a low-criticality integration gives medium
        let f = obj(json!({"affected_application": "kiosko"}));
        assert_eq!(compute(&cfg, svc, "low", "low", &f).priority, "medium");
        // an application of no criticality rule leaves the matrix alone
        assert_eq!(
            compute(&cfg, svc, "low", "low", &obj(json!({}))).priority,
            "low"
        );
    }

    #[test]
    fn rules_never_lower_priority() {
        let cfg = Config::builtin().expect("config");
        let svc = cfg.service("osf");
        let f = obj(json!({"affected_application": "docuware"}));
        let d = compute(&cfg, svc, "high", "high", &f);
        assert_eq!(d.priority, "critical");
        assert!(d.raised_by.is_empty());
    }

    #[test]
    fn total_outage_is_critical_and_critical_process_is_high() {
        let cfg = Config::builtin().expect("config");
        let svc = cfg.service("osf");
        let f = obj(json!({"total_outage": true}));
        assert_eq!(compute(&cfg, svc, "low", "low", &f).priority, "critical");
        let f = obj(json!({"critical_process": "facturacion"}));
        assert_eq!(compute(&cfg, svc, "low", "low", &f).priority, "high");
        let f = obj(json!({"critical_process": "ninguno"}));
        assert_eq!(compute(&cfg, svc, "low", "low", &f).priority, "low");
        let f = obj(json!({"total_outage": false}));
        assert_eq!(compute(&cfg, svc, "low", "low", &f).priority, "low");
    }
}

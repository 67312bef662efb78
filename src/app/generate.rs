//! Demo and benchmark data: realistic Spanish help-desk tickets with their
//! whole history (assignment, work, comments, worklog, escalation, rejection,
//! resolution, closing), written as ops through the normal store path in bulk
//! transactions. The same seed gives the same tickets.

use super::{App, AppError};
use crate::config::Config;
use crate::store::ApplyMode;
use crate::store::ops::{OpDraft, entity, kind};
use foldhash::{HashMap, HashMapExt};
use serde_json::{Map, Value, json};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The states generated histories move through.
const LIFECYCLE: &[&str] = &[
    "new",
    "assigned",
    "in_progress",
    "waiting",
    "resolved",
    "closed",
    "rejected",
];

/// How much history generated tickets get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Assignment, work, comments, worklog, escalations, rejections, closing.
    Full,
    /// New, unassigned tickets only (load tests of the create path).
    Bare,
}

/// Deterministic PRNG (SplitMix64): tiny, fast, stable across versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A word from a static list.
    pub fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    fn uuid_at(&mut self, ms: i64) -> String {
        let mut rand = [0u8; 10];
        rand[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        rand[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(ms.max(0) as u64, &rand)
            .into_uuid()
            .to_string()
    }
}

const NAMES: &[&str] = &[
    "Andrea",
    "Camilo",
    "Daniela",
    "Esteban",
    "Fernanda",
    "Gustavo",
    "Hernán",
    "Isabel",
    "Julián",
    "Karina",
    "Lorena",
    "Mateo",
    "Natalia",
    "Óscar",
    "Paola",
    "Ricardo",
    "Sofía",
    "Tomás",
    "Valentina",
    "Yolanda",
];
const SURNAMES: &[&str] = &[
    "Acosta",
    "Benítez",
    "Cárdenas",
    "Duarte",
    "Espinosa",
    "Fajardo",
    "Gaitán",
    "Henao",
    "Ibáñez",
    "Jaramillo",
    "López",
    "Muñoz",
    "Núñez",
    "Ordóñez",
    "Peña",
    "Quintero",
    "Rincón",
    "Salazar",
    "Téllez",
    "Valencia",
];

struct Theme {
    titles: &'static [&'static str],
    details: &'static [&'static str],
    solutions: &'static [&'static str],
}

const OSF: Theme = Theme {
    titles: &[
        "Error al generar la factura del ciclo {n}",
        "No permite legalizar órdenes de trabajo en {exe}",
        "Lentitud en el módulo de recaudo",
        "Pantalla de atención al cliente se queda congelada",
        "Inconsistencia en lecturas de consumo de la zona {zona}",
        "No se puede iniciar sesión en Open Smartflex",
        "Error ORA-{n} al consultar el contrato",
        "Cupón de pago no refleja el abono del cliente",
        "Falla en la integración con Movilidad: órdenes sin sincronizar",
        "Reporte de cartera sale vacío",
        "Suspensión no se registra después de la visita",
        "Dirección del predio no aparece en GIS",
        "Proceso de cierre mensual detenido",
        "Solicitud de venta queda en estado pendiente",
        "Error al imprimir duplicado de factura en el kiosco",
    ],
    details: &[
        "El usuario reporta que al ejecutar {exe} aparece el mensaje de error y el proceso se cancela.",
        "Desde esta mañana varias asesoras de la sede {zona} no pueden continuar con la atención.",
        "El error se presenta en producción; en pruebas no se replica.",
        "Afecta a {n} usuarios del área de facturación.",
        "Se verificó la conexión a la unidad S y funciona correctamente.",
        "El usuario indica que el mismo proceso funcionaba la semana pasada.",
        "Se adjunta pantallazo con el código de error y la traza de la ejecución.",
        "Ocurre solo con contratos de la zona {zona}; en las demás zonas el proceso termina bien.",
        "Después de la última aplicación de release el comportamiento cambió.",
        "El proceso queda en ejecución por más de una hora sin avanzar.",
    ],
    solutions: &[
        "Se reinició el servicio de ejecutores y el proceso terminó correctamente.",
        "Se aplicó datafix para corregir el estado de las órdenes afectadas.",
        "Se regeneró el cupón y se validó el abono con recaudo.",
        "Se restablecieron permisos del usuario sobre el ejecutable.",
        "El proveedor entregó un release que corrige la validación.",
        "Se depuró la cola de integración con Movilidad y se reenviaron las órdenes.",
    ],
};

const API: Theme = Theme {
    titles: &[
        "La API de consulta de disponibilidad responde 500",
        "Timeout al invocar el servicio de enlaces dedicados",
        "Token de acceso caducado antes de tiempo",
        "Respuesta con esquema distinto al de la guía de API",
        "No se recibe la notificación de cambio de estado del pedido",
        "Error de certificado en la VPN del concesionario",
    ],
    details: &[
        "El concesionario verificó sus elementos de red y la VPN está arriba.",
        "La llamada devuelve código 500 de forma intermitente desde las {h}:00.",
        "Se adjunta el log de la petición y la respuesta recibida.",
        "El error ocurre en el ambiente de pruebas de integración.",
        "Se revisaron los parámetros de la VPN según el Manual SIPO.",
    ],
    solutions: &[
        "Se ajustó el tiempo de vida del token en el servidor de autorización.",
        "Se corrigió la configuración del balanceador y la API responde normalmente.",
        "Se actualizó la guía de API con el esquema vigente.",
    ],
};

const ERP: Theme = Theme {
    titles: &[
        "No cuadra el inventario de la bodega {zona}",
        "Error al contabilizar la factura de proveedor",
        "Solicitud de nuevo reporte de compras",
        "El módulo de nómina no calcula horas extra",
        "No se puede aprobar la orden de compra {n}",
    ],
    details: &[
        "La diferencia apareció después del cierre de ayer.",
        "El usuario necesita el ajuste antes del cierre contable.",
        "Se intentó de nuevo y el mensaje de error persiste.",
        "El problema afecta a todo el equipo de compras.",
    ],
    solutions: &[
        "Se corrigió el parámetro contable del tipo de documento.",
        "Se reprocesó el movimiento de inventario.",
        "Se ajustó el flujo de aprobación de compras.",
    ],
};

const MAIL: Theme = Theme {
    titles: &[
        "No llegan correos externos al buzón",
        "Buzón lleno, no permite enviar",
        "Impresora de la sede {zona} no imprime",
        "Contraseña bloqueada después de varios intentos",
        "No conecta la VPN desde casa",
        "Solicitud de acceso a carpeta compartida",
    ],
    details: &[
        "El usuario trabaja desde la sede {zona}.",
        "Ya se reinició el equipo y el problema continúa.",
        "Afecta solo a este usuario.",
        "Se requiere con urgencia para atender a un cliente.",
    ],
    solutions: &[
        "Se desbloqueó la cuenta y se restableció la contraseña.",
        "Se amplió la cuota del buzón.",
        "Se reinstaló el controlador de la impresora.",
        "Se configuró nuevamente el cliente VPN.",
    ],
};

const COMMENTS: &[&str] = &[
    "Se contactó al usuario para ampliar la información.",
    "Usuario confirma que el error persiste.",
    "Se solicitó pantallazo del error.",
    "En revisión con el gestor de servicios.",
    "Se escaló al proveedor con la documentación completa.",
    "El usuario no responde; se deja mensaje.",
    "Se validó con el área funcional.",
    "Pendiente ventana de mantenimiento para aplicar la corrección.",
    "Se replicó el error en pruebas.",
    "Cliente confirma que ya funciona. Gracias.",
];

const ZONES: &[&str] = &[
    "Risaralda",
    "Caldas",
    "Quindío",
    "Manizales",
    "Pereira",
    "Armenia",
];
const EXES: &[&str] = &[
    "FACTURA01",
    "ORDLEG",
    "RECAUDO",
    "ATCLIENTE",
    "LECTURAS",
    "CIERREMES",
];

fn theme_for(service: &str) -> &'static Theme {
    match service {
        "osf" => &OSF,
        s if s.contains("api") => &API,
        s if s.contains("erp") => &ERP,
        _ => &MAIL,
    }
}

fn fill(rng: &mut Rng, template: &str) -> String {
    let mut s = template.to_string();
    while let Some(i) = s.find("{n}") {
        let n = 10 + rng.below(990);
        s.replace_range(i..i + 3, &n.to_string());
    }
    while let Some(i) = s.find("{h}") {
        let h = 7 + rng.below(12);
        s.replace_range(i..i + 3, &h.to_string());
    }
    while let Some(i) = s.find("{zona}") {
        s.replace_range(i..i + 6, rng.word(ZONES));
    }
    while let Some(i) = s.find("{exe}") {
        s.replace_range(i..i + 5, rng.word(EXES));
    }
    s
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'Á' => 'a',
            'é' | 'É' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'Ó' => 'o',
            'ú' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A value for a mandatory or optional field of a generated ticket.
fn field_value(rng: &mut Rng, cfg: &Config, id: &str, person: &(String, String)) -> Option<Value> {
    let def = cfg.field(id)?;
    use crate::config::FieldKind as K;
    Some(match (id, def.kind) {
        ("reporter_email" | "emails", _) => Value::String(format!(
            "{}.{}@example.org",
            ascii_lower(&person.0),
            ascii_lower(&person.1)
        )),
        ("reporter_name", _) => Value::String(format!("{} {}", person.0, person.1)),
        ("company", _) => Value::String(
            rng.pick(&[
                "Telecomunicaciones del Norte (ejemplo)",
                "Red Andina de Datos (ejemplo)",
                "Conecta Sur (ejemplo)",
            ])
            .to_string(),
        ),
        ("api_id", _) => Value::String(
            rng.pick(&[
                "disponibilidad-v2",
                "pedidos-v1",
                "enlaces-dedicados-v1",
                "autorizacion-v1",
            ])
            .to_string(),
        ),
        ("executable", _) => Value::String(rng.pick(EXES).to_string()),
        (_, K::Phone) => Value::String(format!("+57 601 555 {:04}", 100 + rng.below(9800))),
        (_, K::Email) => Value::String(format!("{}@example.org", ascii_lower(&person.0))),
        (_, K::Choice) => Value::String(rng.pick(&def.choices).clone()),
        (_, K::Number) => Value::from(1 + rng.below(40) as i64),
        (_, K::Boolean) => Value::Bool(rng.chance(20)),
        (_, K::Text | K::LongText) => {
            let template = rng_detail(rng);
            Value::String(fill(rng, template))
        }
    })
}

fn rng_detail(rng: &mut Rng) -> &'static str {
    rng.word(OSF.details)
}

/// A future event of a generated ticket's history.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    at_ms: i64,
    order: u64,
    ticket: usize,
    step: u8,
}

struct Gen {
    id: String,
    created_ms: i64,
    ticket_type: String,
    service: String,
    status: String,
    level: u8,
    plan: Plan,
    assignee: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    Open,
    Working,
    Waiting,
    Resolved,
    Closed,
    Rejected,
}

/// How far back generated histories are planned.
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

/// Where a moment of the planned year is written: itself in a database
/// without changes in that year, else the same fraction of the time left
/// between the newest change and now (squeezed, order kept).
#[derive(Debug, Clone, Copy)]
struct Squeeze {
    plan_from: i64,
    from: i64,
    span: i64,
}

impl Squeeze {
    fn new(now_ms: i64, newest_ms: Option<i64>) -> Squeeze {
        let plan_from = now_ms - YEAR_MS;
        let from = plan_from.max(newest_ms.map_or(i64::MIN, |m| m + 1));
        Squeeze {
            plan_from,
            from,
            span: (now_ms - from).max(0),
        }
    }

    fn at(&self, planned_ms: i64) -> i64 {
        let into = i128::from((planned_ms - self.plan_from).clamp(0, YEAR_MS));
        self.from + (into * i128::from(self.span) / i128::from(YEAR_MS)) as i64
    }
}

/// How many tickets one transaction of `generate` creates.
pub const BATCH: usize = 20_000;

/// [`BATCH`], or in test builds `GUARDIA_TEST_GENERATE_BATCH`: the tests
/// of an interrupted generation need a commit within milliseconds.
/// Release builds never read it.
fn batch_size() -> usize {
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("GUARDIA_TEST_GENERATE_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    BATCH
}

/// Generates `count` tickets over the period ending now. Returns how many
/// tickets and ops were written.
pub fn generate(
    app: &mut App,
    count: usize,
    seed: u64,
    history: History,
    progress: impl FnMut(usize),
) -> Result<(usize, usize), AppError> {
    generate_in_batches(app, count, seed, history, batch_size(), progress)
}

/// `generate`, committing every `batch` tickets; `progress` hears the
/// tickets created after each commit.
pub fn generate_in_batches(
    app: &mut App,
    count: usize,
    seed: u64,
    history: History,
    batch: usize,
    mut progress: impl FnMut(usize),
) -> Result<(usize, usize), AppError> {
    let cfg = app.config.clone();
    // The histories walk the standard lifecycle: only types whose workflow
    // has its states get tickets (the procedure workflows with states of
    // their own, such as seed 001's twelve steps, get none).
    let missing_of = |wf: &crate::config::Workflow| -> Vec<&str> {
        LIFECYCLE
            .iter()
            .copied()
            .filter(|s| !wf.states.iter().any(|st| st.id.get_ref() == s))
            .collect()
    };
    let usable: Vec<String> = cfg
        .types
        .iter()
        .filter(|t| {
            cfg.workflow(t.workflow.get_ref())
                .is_some_and(|wf| missing_of(wf).is_empty())
        })
        .map(|t| t.id.get_ref().clone())
        .collect();
    if usable.is_empty() {
        let lacking: Vec<String> = cfg
            .types
            .iter()
            .filter_map(|t| {
                let wf = cfg.workflow(t.workflow.get_ref())?;
                Some(format!(
                    "type '{}' (workflow '{}') lacks the states {}",
                    t.id.get_ref(),
                    wf.id.get_ref(),
                    missing_of(wf).join(", ")
                ))
            })
            .collect();
        return Err(AppError::Invalid(format!(
            "generate writes the standard lifecycle, and no ticket type's workflow has all its states: {}; generate into a database with the built-in workflows",
            lacking.join("; ")
        )));
    }
    let now_ms = app.clock.now().timestamp_millis();
    // Histories are planned over the year before now. In a database with
    // changes already, they are written squeezed into the time since the
    // newest change (the clock never goes back): a few seconds, or the
    // same millisecond, but the whole history still.
    let newest_ms = app.store.reader().newest_change_ms()?;
    let dated = Squeeze::new(now_ms, newest_ms);
    let start_ms = now_ms - YEAR_MS;
    let span_ms = YEAR_MS;
    let mut rng = Rng::new(seed);
    let operators: Vec<(String, u8)> = cfg
        .operators
        .iter()
        .map(|o| (o.id.get_ref().clone(), *o.level.get_ref()))
        .collect();
    let level1: Vec<String> = operators
        .iter()
        .filter(|o| o.1 == 1)
        .map(|o| o.0.clone())
        .collect();
    let level1 = if level1.is_empty() {
        operators.iter().map(|o| o.0.clone()).collect()
    } else {
        level1
    };
    let services: Vec<String> = cfg
        .services
        .iter()
        .map(|s| s.id.get_ref().clone())
        .collect();
    let grade_ids = |grades: &[crate::config::Grade]| -> Vec<String> {
        grades.iter().map(|g| g.id.get_ref().clone()).collect()
    };
    let impacts = grade_ids(&cfg.priority.impacts);
    let urgencies = grade_ids(&cfg.priority.urgencies);
    let reasons: Vec<String> = cfg
        .rejections
        .iter()
        .filter(|r| r.action == crate::config::RejectionAction::None && r.min_priority.is_none())
        .map(|r| r.code.get_ref().clone())
        .collect();
    // Only tickets with history still to come are kept.
    let mut gens: HashMap<usize, Gen> = HashMap::new();
    let mut next_index = 0usize;
    let mut heap: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut created = 0usize;
    let mut ops = 0usize;
    let step_ms = (span_ms / count.max(1) as i64).max(1);
    app.store.begin_bulk()?;
    // Each batch is its own transaction. A write by another process in
    // between (a timer closing a generated ticket, a new ticket moving the
    // clock to now) would contradict the histories still to come, so
    // generation stops at the first one, its tickets whole so far.
    let mut seen_version: Option<i64> = None;
    let path = app.store.path().to_path_buf();
    let mut outcome: Result<(), AppError> = Ok(());
    while created < count || !heap.is_empty() {
        let batch_end = (created + batch.max(1)).min(count);
        let written = app.store.write(now_ms, ApplyMode::Bulk, |w| -> Result<usize, AppError> {
            if seen_version.is_some_and(|v| w.data_version().is_ok_and(|now| now != v)) {
                return Err(AppError::Invalid(format!(
                    "another process wrote to {} while generate ran (a command, a console, a sync); generate stopped after {created} tickets, each with the history written so far. Generate into a database nobody else uses",
                    path.display()
                )));
            }
            // Generation reads no ticket while it writes.
            w.defer_new_rows();
            // Bulk writes skip the per-ticket SLA refresh: the cached
            // clocks and outcomes are marked stale in the very transaction
            // that makes them so, so that generation killed after any
            // commit leaves the next command (or report) to recompute
            // them, never a report of the tickets as they were before.
            w.set_sla_fingerprint("stale")?;
            w.mark_sla_outcomes_incomplete()?;
            let mut n_ops = 0usize;
            // Interleave creations with due follow-ups, in time order.
            loop {
                let next_create_ms = if created < batch_end {
                    Some(start_ms + created as i64 * step_ms + rng.below(step_ms as usize) as i64)
                } else {
                    None
                };
                let due = heap.peek().map(|Reverse(p)| p.at_ms);
                let take_pending = match (next_create_ms, due) {
                    (Some(c), Some(d)) => d <= c,
                    (None, Some(_)) => created >= count,
                    (_, None) => false,
                };
                if take_pending {
                    let Some(Reverse(p)) = heap.pop() else { break };
                    let planned = p.at_ms.min(now_ms);
                    w.set_now(dated.at(planned));
                    let Some(g) = gens.get_mut(&p.ticket) else { continue };
                    let mut scheduled = false;
                    n_ops += follow_up(w, &cfg, &mut rng, g, planned, p.step, &reasons, &mut |at, step| {
                        order += 1;
                        if at < now_ms {
                            heap.push(Reverse(Pending { at_ms: at, order, ticket: p.ticket, step }));
                            scheduled = true;
                        }
                    })?;
                    if !scheduled && let Some(done) = gens.remove(&p.ticket) {
                        // Its history is complete: its row is written now,
                        // while its pages are still in the cache.
                        w.write_new_row(&done.id)?;
                    }
                    continue;
                }
                let Some(at) = next_create_ms else { break };
                w.set_now(dated.at(at));
                let service = rng.pick(&services).clone();
                let ttype = if service.contains("api") {
                    "api_incident"
                } else if rng.chance(25) {
                    "support"
                } else {
                    "incident"
                };
                let ttype = if usable.iter().any(|u| u == ttype) { ttype.to_string() } else { usable[0].clone() };
                let theme = theme_for(&service);
                let template = rng.word(theme.titles);
                let title = fill(&mut rng, template);
                let mut description = String::new();
                for _ in 0..(1 + rng.below(3)) {
                    if !description.is_empty() {
                        description.push(' ');
                    }
                    let template = rng.word(theme.details);
                    description.push_str(&fill(&mut rng, template));
                }
                let person = (rng.pick(NAMES).to_string(), rng.pick(SURNAMES).to_string());
                let mut fields = Map::new();
                if let Some(tt) = cfg.ticket_type(&ttype) {
                    for f in &tt.mandatory {
                        if let Some(v) = field_value(&mut rng, &cfg, f.get_ref(), &person) {
                            fields.insert(f.get_ref().clone(), v);
                        }
                    }
                }
                if service == "osf" && ttype == "incident" && rng.chance(30) {
                    let apps: Vec<String> = cfg.service("osf").map(|s| s.related.iter().map(|r| r.id.get_ref().clone()).collect()).unwrap_or_default();
                    if !apps.is_empty() {
                        fields.insert("affected_application".into(), Value::String(rng.pick(&apps).clone()));
                    }
                }
                let impact = rng.pick(&impacts).clone();
                let urgency = rng.pick(&urgencies).clone();
                let decision = crate::domain::priority::compute(&cfg, cfg.service(&service), &impact, &urgency, &fields);
                let number = w.next_ticket_number();
                let key = crate::domain::site::ticket_key(&w.site().code, number);
                let id = rng.uuid_at(dated.at(at));
                let creator = rng.pick(&level1).clone();
                let initial = cfg.workflow_for_type(&ttype).map(|wf| wf.initial.get_ref().clone()).unwrap_or_else(|| "new".into());
                w.append(
                    &creator,
                    OpDraft::new(entity::TICKET, &id, kind::CREATE, json!({
                        "key": key, "type": ttype, "service": service, "title": title,
                        "description": description, "status": initial, "priority": decision.priority,
                        "impact": impact, "urgency": urgency, "level": 1, "fields": fields,
                    })),
                )?;
                n_ops += 1;
                // Older tickets are more likely finished.
                let age_fraction = created as f64 / count.max(1) as f64;
                let roll = rng.below(100) as f64;
                let plan = if history == History::Bare {
                    Plan::Open
                } else if rng.chance(6) {
                    Plan::Rejected
                } else if roll < 100.0 * (0.95 - 0.6 * age_fraction.powi(8)) {
                    Plan::Closed
                } else {
                    *rng.pick(&[Plan::Open, Plan::Working, Plan::Waiting, Plan::Resolved])
                };
                let idx = next_index;
                next_index += 1;
                let assignee = rng.pick(&level1).clone();
                order += 1;
                let first = at + 5 * 60_000 + rng.below(4 * 3_600_000) as i64;
                if first < now_ms && plan != Plan::Open {
                    gens.insert(
                        idx,
                        Gen { id, created_ms: dated.at(at), ticket_type: ttype.clone(), service, status: initial, level: 1, plan, assignee },
                    );
                    heap.push(Reverse(Pending { at_ms: first, order, ticket: idx, step: 0 }));
                } else {
                    w.write_new_row(&id)?;
                }
                created += 1;
                if created >= batch_end && heap.peek().is_none_or(|Reverse(p)| next_create_ms.is_some_and(|c| p.at_ms > c)) {
                    break;
                }
                if created >= batch_end {
                    break;
                }
            }
            Ok(n_ops)
        });
        let written = match written {
            Ok(n) => n,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        seen_version = Some(app.store.data_version()?);
        ops += written;
        progress(created);
        if created >= count && heap.is_empty() {
            break;
        }
        if created >= count {
            // Drain the remaining follow-ups in one more transaction.
            continue;
        }
    }
    // Each batch leaves segments in the full-text index, which FTS5 merges
    // only as later writes come in: the operator's first searches would
    // look every word up in each of them (see store/text_index.rs).
    app.store.compact_text_indexes_after_bulk()?;
    app.store.end_bulk()?;
    // Each batch marked the SLA caches stale as it committed: the next
    // command (or the console) recomputes the clocks once, outside
    // generation's budget, and the next report fills the outcomes.
    outcome.map(|()| (created, ops))
}

/// Sets the dossier fields escalating `g` to `level` needs beyond the type's
/// mandatory ones (which registration filled already).
fn fill_dossier(
    w: &mut crate::store::WriteTx<'_>,
    cfg: &Config,
    rng: &mut Rng,
    g: &Gen,
    actor: &str,
    level: u8,
) -> Result<usize, AppError> {
    let crate::config::DossierRequirement::Fields(fields) =
        cfg.dossier_requirement(&g.service, level)
    else {
        return Ok(0);
    };
    let Some(tt) = cfg.ticket_type(&g.ticket_type) else {
        return Ok(0);
    };
    let person = (rng.pick(NAMES).to_string(), rng.pick(SURNAMES).to_string());
    let mut n = 0;
    for f in fields {
        let optional = tt.optional.iter().any(|o| o.get_ref() == &f);
        if !optional {
            continue;
        }
        if let Some(v) = field_value(rng, cfg, &f, &person) {
            w.append(
                actor,
                OpDraft::new(entity::TICKET, &g.id, kind::SET, v).field(format!("fields.{f}")),
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// Applies step `step` of a ticket's planned history, planned at
/// `planned_ms` (written at `w.now_ms()`, the same unless squeezed);
/// schedules the next.
#[allow(clippy::too_many_arguments)]
fn follow_up(
    w: &mut crate::store::WriteTx<'_>,
    cfg: &Config,
    rng: &mut Rng,
    g: &mut Gen,
    planned_ms: i64,
    step: u8,
    reasons: &[String],
    schedule: &mut dyn FnMut(i64, u8),
) -> Result<usize, AppError> {
    let now = w.now_ms();
    let later =
        |rng: &mut Rng, hours: usize| planned_ms + 600_000 + rng.below(hours * 3_600_000) as i64;
    let mut n = 0;
    let actor = g.assignee.clone();
    let transition = |w: &mut crate::store::WriteTx<'_>,
                      g: &mut Gen,
                      to: &str,
                      extra: Value|
     -> Result<(), AppError> {
        let mut v = json!({"from": g.status, "to": to, "note": ""});
        if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
            m.extend(e);
        }
        w.append(
            &actor,
            OpDraft::new(entity::TICKET, &g.id, kind::TRANSITION, v).field("status"),
        )?;
        g.status = to.to_string();
        Ok(())
    };
    match step {
        0 => {
            // Only the reasons of the ticket's own procedure.
            let fitting: Vec<&String> = reasons
                .iter()
                .filter(|c| {
                    cfg.rejection(c)
                        .is_some_and(|r| r.applies_to(&g.ticket_type))
                })
                .collect();
            if g.plan == Plan::Rejected && !fitting.is_empty() {
                let code = (*rng.pick(&fitting)).clone();
                w.append(
                    &actor,
                    OpDraft::new(
                        entity::TICKET,
                        &g.id,
                        kind::SET,
                        Value::String(code.clone()),
                    )
                    .field("reject_reason"),
                )?;
                transition(w, g, "rejected", json!({"reason": code}))?;
                return Ok(2);
            }
            w.append(
                &actor,
                OpDraft::new(
                    entity::TICKET,
                    &g.id,
                    kind::SET,
                    Value::String(g.assignee.clone()),
                )
                .field("assignee"),
            )?;
            transition(w, g, "assigned", json!({}))?;
            n += 2;
            schedule(later(rng, 8), 1);
        }
        1 => {
            transition(w, g, "in_progress", json!({}))?;
            w.append(
                &actor,
                OpDraft::new(
                    entity::COMMENT,
                    &rng.uuid_at(now),
                    kind::CREATE,
                    json!({"ticket": g.id, "body": rng.pick(COMMENTS), "internal": rng.chance(40)}),
                ),
            )?;
            n += 2;
            if g.plan == Plan::Working {
                return Ok(n);
            }
            schedule(later(rng, 30), 2);
        }
        2 => {
            w.append(&actor, OpDraft::new(entity::WORKLOG, &rng.uuid_at(now), kind::CREATE, json!({"ticket": g.id, "minutes": 15 * (1 + rng.below(12)), "note": "Análisis y pruebas"})))?;
            n += 1;
            if g.plan == Plan::Waiting {
                transition(w, g, "waiting", json!({}))?;
                return Ok(n + 1);
            }
            if g.service == "osf"
                && g.ticket_type == "incident"
                && rng.chance(20)
                && cfg.level(2).is_some()
            {
                // Document the level-2 dossier first, as the gate demands.
                n += fill_dossier(w, cfg, rng, g, &actor, 2)?;
                let role = cfg
                    .level(2)
                    .map(|l| l.role.get_ref().clone())
                    .unwrap_or_default();
                let target = cfg
                    .operators
                    .iter()
                    .find(|o| o.roles.iter().any(|r| r.get_ref() == &role))
                    .map(|o| o.id.get_ref().clone());
                w.append(&actor, OpDraft::new(entity::TICKET, &g.id, kind::ESCALATE, json!({"mode": "functional", "from": g.level, "to": 2, "note": "Escalado con documentación completa"})).field("level"))?;
                g.level = 2;
                n += 1;
                if let Some(t) = target {
                    g.assignee = t.clone();
                    w.append(
                        &actor,
                        OpDraft::new(entity::TICKET, &g.id, kind::SET, Value::String(t))
                            .field("assignee"),
                    )?;
                    n += 1;
                }
            }
            schedule(later(rng, 48), 3);
        }
        3 => {
            n += fill_required(w, cfg, rng, g, &actor, "resolved")?;
            transition(w, g, "resolved", json!({}))?;
            n += 1;
            if g.plan == Plan::Closed {
                // Within a day: before seed 002's automatic close would.
                schedule(later(rng, 23), 4);
            }
        }
        _ => {
            w.append(&actor, OpDraft::new(entity::COMMENT, &rng.uuid_at(now), kind::CREATE, json!({"ticket": g.id, "body": COMMENTS[COMMENTS.len() - 1], "internal": false})))?;
            n += fill_required(w, cfg, rng, g, &actor, "closed")?;
            transition(w, g, "closed", json!({}))?;
            n += 2;
        }
    }
    Ok(n)
}

/// What generated customers answer when asked for their conformity.
const CONFORMITY: &[&str] = &[
    "Conformidad recibida por correo del usuario.",
    "El usuario confirma por teléfono que el servicio funciona.",
    "Conformidad registrada en la respuesta del cliente al folio.",
];

/// Root causes generated for closing records.
const ROOT_CAUSES: &[&str] = &[
    "Certificado vencido en el servidor de integración.",
    "Parámetro de configuración incorrecto tras el último despliegue.",
    "Saturación del pool de conexiones en horas pico.",
    "Credenciales del concesionario caducadas.",
];

/// Fills the fields the workflow requires on entering `to` from the
/// ticket's state, and the resolution time where it is recorded, so
/// generated histories pass the rules a person would have to pass.
fn fill_required(
    w: &mut crate::store::WriteTx<'_>,
    cfg: &Config,
    rng: &mut Rng,
    g: &Gen,
    actor: &str,
    to: &str,
) -> Result<usize, AppError> {
    let Some(wf) = cfg.workflow_for_type(&g.ticket_type) else {
        return Ok(0);
    };
    let Some(t) = wf
        .transitions
        .iter()
        .find(|t| t.to.get_ref() == to && t.from.iter().any(|f| f.get_ref() == &g.status))
    else {
        return Ok(0);
    };
    let mut n = 0;
    let mut set = |w: &mut crate::store::WriteTx<'_>, field: &str, text: String| {
        w.append(
            actor,
            OpDraft::new(entity::TICKET, &g.id, kind::SET, Value::String(text))
                .field(format!("fields.{field}")),
        )
        .map(|_| n += 1)
    };
    for f in &t.requires {
        let text = match f.get_ref().as_str() {
            "solution" => rng.pick(theme_for(&g.service).solutions).to_string(),
            "root_cause" => rng.pick(ROOT_CAUSES).to_string(),
            "customer_conformity" => rng.pick(CONFORMITY).to_string(),
            _ => continue,
        };
        set(w, f.get_ref(), text)?;
    }
    if t.record_resolution_time {
        let ticket_like = crate::domain::ticket::ms_to_time(g.created_ms);
        let now = crate::domain::ticket::ms_to_time(w.now_ms());
        let text = super::workflow::resolution_span_text(
            cfg,
            &g.ticket_type,
            ticket_like,
            now,
            crate::config::Lang::Es,
        );
        set(w, crate::config::RESOLUTION_TIME_FIELD, text)?;
    }
    Ok(n)
}

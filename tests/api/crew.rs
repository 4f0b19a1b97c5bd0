//! The crew resources: technicians, projects, venues and rooms, availabilities.

use callsheet::domain::time::Window;
use callsheet::domain::{Role, TechnicianId, TenantId, VenueId};
use callsheet_e2e::{Tenant, TestApp, assert_error, backend, body};
use chrono::{DateTime, Utc};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A server with one tenant (`acme`) and its admin logged in.
struct Crew {
    app: TestApp,
    tenant: Tenant,
    admin: String,
}

async fn crew() -> Crew {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("acme").await;
    let admin = app.login_ok("acme", &tenant.admin_email).await.access;
    Crew { app, tenant, admin }
}

impl Crew {
    async fn send(&self, method: Method, path: &str, token: &str, payload: &Value) -> Response {
        self.app.send_json(method, path, Some(token), payload).await
    }

    /// POSTs as `token`, expects 201 with a Location that reads back the same body.
    async fn create_as(&self, token: &str, path: &str, payload: Value) -> Value {
        let response = self.send(Method::POST, path, token, &payload).await;
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let created = body(response).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "[{}] POST {path} {payload}: {created}",
            backend()
        );
        let location = location.expect("Location header");
        assert!(
            location.ends_with(created["id"].as_str().unwrap()),
            "{location}"
        );
        created
    }

    async fn create(&self, path: &str, payload: Value) -> Value {
        self.create_as(&self.admin, path, payload).await
    }

    async fn get_as(&self, token: &str, path: &str) -> Value {
        let response = self.app.get(path, token).await;
        let status = response.status();
        let b = body(response).await;
        assert_eq!(status, StatusCode::OK, "[{}] GET {path}: {b}", backend());
        b
    }

    async fn get(&self, path: &str) -> Value {
        self.get_as(&self.admin, path).await
    }

    async fn patch_ok(&self, path: &str, payload: Value) -> Value {
        let response = self.send(Method::PATCH, path, &self.admin, &payload).await;
        let status = response.status();
        let b = body(response).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "[{}] PATCH {path} {payload}: {b}",
            backend()
        );
        b
    }

    async fn delete_as(&self, token: &str, path: &str) -> Response {
        self.app
            .request(Method::DELETE, path, Some(token))
            .send()
            .await
            .expect("request")
    }

    /// Expects a 422 naming `field`.
    async fn refused(&self, method: Method, path: &str, payload: Value, field: &str) {
        let response = self.send(method.clone(), path, &self.admin, &payload).await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "{method} {path} {payload}: {b}");
    }

    async fn technician(&self, name: &str) -> String {
        self.technician_with(technician(name)).await
    }

    async fn technician_with(&self, payload: Value) -> String {
        id(&self.create("/api/v1/technicians", payload).await)
    }

    async fn venue(&self, name: &str) -> String {
        id(&self.create("/api/v1/venues", json!({"name": name})).await)
    }

    /// The plan cache generation of the tenant: every write must bump it.
    async fn generation(&self) -> u64 {
        self.app
            .state
            .plan_cache
            .get(self.tenant.id, "crew-test")
            .await
            .generation
    }
}

fn technician(name: &str) -> Value {
    json!({"name": name, "contract": {"kind": "hourly", "hourly_rate_cents": 2500}})
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

// --- rows of the missions area, written straight to the database ---------------------
//
// The missions and assignments routes are built on another branch; the in-use rules of
// this one are tested with rows inserted by SQL (the same text on both backends).

macro_rules! on_database {
    ($app:expr, |$conn:ident| $body:expr) => {{
        let url = $app.database_url().to_owned();
        if url.starts_with("postgres") {
            let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .expect("connect");
            let $conn = &mut connection;
            $body
        } else {
            let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
                .await
                .expect("connect");
            let $conn = &mut connection;
            $body
        }
    }};
}

/// A mission on 2026-07-01 18:00-23:00 UTC at `venue` (in `room`, for `project`).
async fn insert_mission(
    app: &TestApp,
    tenant: TenantId,
    venue: &str,
    room: Option<&str>,
    project: Option<&str>,
) -> Uuid {
    let mission = Uuid::now_v7();
    let (start, end, now) = (
        at("2026-07-01T18:00:00Z"),
        at("2026-07-01T23:00:00Z"),
        Utc::now(),
    );
    on_database!(app, |conn| {
        let _ = sqlx::query(
            "INSERT INTO missions (id, tenant_id, title, project_id, venue_id, room_id, start_at, end_at, created_at, updated_at)
             VALUES ($1, $2, 'Concert', $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(mission)
        .bind(tenant.0)
        .bind(project.map(uuid))
        .bind(uuid(venue))
        .bind(room.map(uuid))
        .bind(start)
        .bind(end)
        .bind(now)
        .execute(&mut *conn)
        .await
        .expect("insert mission");
    });
    mission
}

/// Assigns `technician` to a new need of `mission`.
async fn insert_assignment(app: &TestApp, tenant: TenantId, mission: Uuid, technician: &str) {
    let (need, start, end, now) = (
        Uuid::now_v7(),
        at("2026-07-01T18:00:00Z"),
        at("2026-07-01T23:00:00Z"),
        Utc::now(),
    );
    on_database!(app, |conn| {
        sqlx::query(
            "INSERT INTO needs (id, tenant_id, mission_id, position, skill, min_crew, start_at, end_at, unfilled_penalty, extra_penalty)
             VALUES ($1, $2, $3, 0, 'light', 1, $4, $5, 100, 0)",
        )
        .bind(need)
        .bind(tenant.0)
        .bind(mission)
        .bind(start)
        .bind(end)
        .execute(&mut *conn)
        .await
        .expect("insert need");
        let _ = sqlx::query(
            "INSERT INTO assignments (id, tenant_id, need_id, mission_id, technician_id, start_at, end_at, status, source, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'confirmed', 'manual', $8, $8)",
        )
        .bind(Uuid::now_v7())
        .bind(tenant.0)
        .bind(need)
        .bind(mission)
        .bind(uuid(technician))
        .bind(start)
        .bind(end)
        .bind(now)
        .execute(&mut *conn)
        .await
        .expect("insert assignment");
    });
}

/// The mission's project and room.
async fn mission_links(app: &TestApp, mission: Uuid) -> (Option<Uuid>, Option<Uuid>) {
    on_database!(app, |conn| {
        sqlx::query_as("SELECT project_id, room_id FROM missions WHERE id = $1")
            .bind(mission)
            .fetch_one(&mut *conn)
            .await
            .expect("mission")
    })
}

// --- technicians -----------------------------------------------------------------------

#[tokio::test]
async fn an_admin_creates_a_technician_with_every_field_and_reads_it_back() {
    let c = crew().await;
    let before = c.generation().await;
    let (pref, avoid) = (c.venue("La Cigale").await, c.venue("Olympia").await);
    let buddy = c.technician("Bea Buddy").await;
    let rival = c.technician("Carl Rival").await;
    let created = c
        .create(
            "/api/v1/technicians",
            json!({
                "name": "  Ana Martin ",
                "email": "Ana@Example.TEST",
                "phone": " +33 6 12 34 56 78 ",
                "skills": ["rigging", "light", "rigging", "video.led"],
                "contract": {"kind": "cachet", "cachet_rate_cents": 18000},
                "preferences": {"preferred_venues": [pref, pref], "avoided_venues": [avoid], "max_weekly_hours": 40},
                "relations": [
                    {"technician_id": rival, "kind": "incompatibility"},
                    {"technician_id": buddy, "kind": "affinity", "weight": 5},
                ],
                "attributes": {"union.grade": 3, "rate.factor": 1.5, "licence.c": true, "home": "Lyon", "languages": ["fr", "en"]},
                "active": true,
            }),
        )
        .await;
    assert_eq!(created["name"], "Ana Martin");
    assert_eq!(created["email"], "ana@example.test");
    assert_eq!(created["phone"], "+33 6 12 34 56 78");
    assert_eq!(created["skills"], json!(["light", "rigging", "video.led"]));
    assert_eq!(
        created["contract"],
        json!({"kind": "cachet", "hourly_rate_cents": 0, "cachet_rate_cents": 18000})
    );
    assert_eq!(
        created["preferences"],
        json!({"preferred_venues": [pref], "avoided_venues": [avoid], "max_weekly_hours": 40})
    );
    let mut expected_relations = vec![
        json!({"technician_id": rival, "kind": "incompatibility", "severity": "hard", "weight": 1}),
        json!({"technician_id": buddy, "kind": "affinity", "severity": "soft", "weight": 5}),
    ];
    expected_relations.sort_by_key(|r| r["technician_id"].as_str().unwrap().to_owned());
    assert_eq!(created["relations"], Value::Array(expected_relations));
    assert_eq!(
        created["attributes"],
        json!({"union.grade": 3, "rate.factor": 1.5, "licence.c": true, "home": "Lyon", "languages": ["fr", "en"]})
    );
    assert_eq!(created["user_id"], Value::Null);
    assert_eq!(created["active"], true);
    // Shown in the tenant's zone (Paris is never at UTC).
    let created_at = created["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with("+01:00") || created_at.ends_with("+02:00"),
        "{created_at}"
    );

    let fetched = c
        .get(&format!("/api/v1/technicians/{}", id(&created)))
        .await;
    assert_eq!(fetched, created);
    assert!(
        c.generation().await > before,
        "the plan cache was invalidated"
    );

    // The typed record other areas read.
    let tid = TechnicianId(uuid(&id(&created)));
    let record = c
        .app
        .storage
        .technician(c.tenant.id, tid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.preferences.max_weekly_hours, Some(40));
    assert!(record.has_skill(&callsheet::domain::Skill::parse("light").unwrap()));
    assert_eq!(
        record.attributes.get("union.grade"),
        Some(&callsheet::storage::AttributeValue::Int(3))
    );
}

#[tokio::test]
async fn invalid_technician_fields_are_named_in_the_error() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    let other = c.technician("Bea").await;
    let elsewhere = c.app.create_tenant("elsewhere").await;
    let foreign_admin = c
        .app
        .login_ok("elsewhere", &elsewhere.admin_email)
        .await
        .access;
    let foreign_venue = id(&c
        .create_as(&foreign_admin, "/api/v1/venues", json!({"name": "Far"}))
        .await);
    let foreign_user = c
        .app
        .create_user(&elsewhere, "tech@elsewhere.test", Role::Tech)
        .await;
    let with = |extra: Value| {
        let mut t = technician("Ana");
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        t
    };
    let cases = [
        (with(json!({"name": "   "})), "name"),
        (with(json!({"name": "x".repeat(201)})), "name"),
        (with(json!({"name": 3})), "name"),
        (
            json!({"contract": {"kind": "hourly", "hourly_rate_cents": 1}}),
            "name",
        ),
        (with(json!({"email": "nope"})), "email"),
        (with(json!({"phone": "call me"})), "phone"),
        (with(json!({"skills": ["light", "Sound"]})), "skills[1]"),
        (with(json!({"skills": ["light", ""]})), "skills[1]"),
        (
            with(json!({"skills": (0..65).map(|i| format!("s{i}")).collect::<Vec<_>>()})),
            "skills",
        ),
        (json!({"name": "Ana"}), "contract"),
        (
            with(json!({"contract": {"kind": "salary"}})),
            "contract.kind",
        ),
        (
            with(json!({"contract": {"kind": "hourly"}})),
            "contract.hourly_rate_cents",
        ),
        (
            with(json!({"contract": {"kind": "hourly", "hourly_rate_cents": -5}})),
            "contract.hourly_rate_cents",
        ),
        (
            with(json!({"contract": {"kind": "cachet", "hourly_rate_cents": 2000}})),
            "contract.cachet_rate_cents",
        ),
        (
            with(
                json!({"contract": {"kind": "hourly", "hourly_rate_cents": 2000, "cachet_rate_cents": -1}}),
            ),
            "contract.cachet_rate_cents",
        ),
        (
            with(json!({"preferences": {"max_weekly_hours": 0}})),
            "preferences.max_weekly_hours",
        ),
        (
            with(json!({"preferences": {"max_weekly_hours": 73}})),
            "preferences.max_weekly_hours",
        ),
        (
            with(json!({"preferences": {"preferred_venues": [venue], "avoided_venues": [venue]}})),
            "preferences.avoided_venues",
        ),
        (
            with(json!({"preferences": {"preferred_venues": [Uuid::now_v7()]}})),
            "preferences.preferred_venues",
        ),
        (
            with(json!({"preferences": {"avoided_venues": [foreign_venue]}})),
            "preferences.avoided_venues",
        ),
        (
            with(json!({"preferences": {"preferred_venues": ["not-a-uuid"]}})),
            "preferences.preferred_venues[0]",
        ),
        (
            with(json!({"relations": [{"technician_id": Uuid::now_v7(), "kind": "affinity"}]})),
            "relations[0].technician_id",
        ),
        (
            with(
                json!({"relations": [{"technician_id": other, "kind": "affinity", "severity": "hard"}]}),
            ),
            "relations[0].severity",
        ),
        (
            with(
                json!({"relations": [{"technician_id": other, "kind": "incompatibility", "weight": -1}]}),
            ),
            "relations[0].weight",
        ),
        (
            with(json!({"relations": [
                {"technician_id": other, "kind": "affinity"},
                {"technician_id": other, "kind": "incompatibility"},
            ]})),
            "relations[1].technician_id",
        ),
        (
            with(json!({"relations": [{"technician_id": other, "kind": "friendship"}]})),
            "relations[0].kind",
        ),
        (with(json!({"attributes": [1, 2]})), "attributes"),
        (
            with(json!({"attributes": {"Bad Name": 1}})),
            "attributes.Bad Name",
        ),
        (
            with(json!({"attributes": {"nested": {"deeper": 1}}})),
            "attributes.nested",
        ),
        (
            with(json!({"attributes": {"lists": [[1]]}})),
            "attributes.lists",
        ),
        (
            with(json!({"attributes": {"nothing": null}})),
            "attributes.nothing",
        ),
        (with(json!({"user_id": Uuid::now_v7()})), "user_id"),
        (with(json!({"user_id": foreign_user})), "user_id"),
        (with(json!({"salary": 3})), "salary"),
    ];
    for (payload, field) in cases {
        c.refused(Method::POST, "/api/v1/technicians", payload, field)
            .await;
    }
    let listed = c.get("/api/v1/technicians").await;
    assert_eq!(listed["total"], 1, "nothing was half-written: {listed}");
}

#[tokio::test]
async fn patch_changes_only_the_fields_sent_and_null_clears_the_optional_ones() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    let other = c.technician("Bea").await;
    let created = c
        .create(
            "/api/v1/technicians",
            json!({
                "name": "Ana", "email": "ana@x.test", "phone": "0612345678",
                "skills": ["light"], "contract": {"kind": "hourly", "hourly_rate_cents": 2500},
                "preferences": {"preferred_venues": [venue]},
                "attributes": {"grade": 1},
            }),
        )
        .await;
    let path = format!("/api/v1/technicians/{}", id(&created));

    let before = c.generation().await;
    let renamed = c.patch_ok(&path, json!({"name": " Ana Martin "})).await;
    assert_eq!(renamed["name"], "Ana Martin");
    for field in [
        "email",
        "phone",
        "skills",
        "contract",
        "preferences",
        "relations",
        "attributes",
        "user_id",
        "active",
        "created_at",
    ] {
        assert_eq!(renamed[field], created[field], "{field} kept");
    }
    assert!(
        c.generation().await > before,
        "the plan cache was invalidated"
    );

    let cleared = c
        .patch_ok(&path, json!({"email": null, "phone": null}))
        .await;
    assert_eq!(cleared["email"], Value::Null);
    assert_eq!(cleared["phone"], Value::Null);
    assert_eq!(cleared["name"], "Ana Martin");

    let replaced = c
        .patch_ok(
            &path,
            json!({
                "skills": ["sound", "light", "sound"],
                "contract": {"kind": "cachet", "cachet_rate_cents": 15000},
                "preferences": {"max_weekly_hours": 35},
                "relations": [{"technician_id": other, "kind": "affinity"}],
                "attributes": {},
                "active": false,
            }),
        )
        .await;
    assert_eq!(replaced["skills"], json!(["light", "sound"]));
    assert_eq!(replaced["contract"]["kind"], "cachet");
    assert_eq!(
        replaced["preferences"],
        json!({"preferred_venues": [], "avoided_venues": [], "max_weekly_hours": 35})
    );
    assert_eq!(replaced["relations"][0]["technician_id"], other.as_str());
    assert_eq!(replaced["attributes"], json!({}));
    assert_eq!(replaced["active"], false);
    assert_eq!(c.get(&path).await, replaced);

    for (payload, field) in [
        (json!({"name": null}), "name"),
        (json!({"skills": null}), "skills"),
        (json!({"contract": null}), "contract"),
        (json!({"active": null}), "active"),
        (json!({"name": ""}), "name"),
        (
            json!({"contract": {"kind": "hourly"}}),
            "contract.hourly_rate_cents",
        ),
        (
            json!({"relations": [{"technician_id": id(&created), "kind": "incompatibility"}]}),
            "relations[0].technician_id",
        ),
        (
            json!({"preferences": {"avoided_venues": [Uuid::now_v7()]}}),
            "preferences.avoided_venues",
        ),
        (json!({"user_id": Uuid::now_v7()}), "user_id"),
        (json!({"nickname": "A"}), "nickname"),
    ] {
        c.refused(Method::PATCH, &path, payload, field).await;
    }
    assert_eq!(
        c.get(&path).await,
        replaced,
        "refused patches change nothing"
    );

    let missing = format!("/api/v1/technicians/{}", Uuid::now_v7());
    let response = c
        .send(Method::PATCH, &missing, &c.admin, &json!({"name": "X"}))
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

#[tokio::test]
async fn a_user_account_is_linked_to_one_technician_at_most() {
    let c = crew().await;
    let user = c
        .app
        .create_user(&c.tenant, "ana@acme.test", Role::Tech)
        .await;
    let mut ana = technician("Ana");
    ana["user_id"] = json!(user);
    let ana = c.create("/api/v1/technicians", ana).await;
    assert_eq!(ana["user_id"], user.as_str());

    let mut bea = technician("Bea");
    bea["user_id"] = json!(user);
    let response = c
        .send(Method::POST, "/api/v1/technicians", &c.admin, &bea)
        .await;
    let b = assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
    assert_eq!(b["meta"]["field"], "user_id");

    let bea = c.technician("Bea").await;
    let bea_path = format!("/api/v1/technicians/{bea}");
    let response = c
        .send(
            Method::PATCH,
            &bea_path,
            &c.admin,
            &json!({"user_id": user}),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;

    // Unlinked from Ana, the account can go to Bea.
    let unlinked = c
        .patch_ok(
            &format!("/api/v1/technicians/{}", id(&ana)),
            json!({"user_id": null}),
        )
        .await;
    assert_eq!(unlinked["user_id"], Value::Null);
    let linked = c.patch_ok(&bea_path, json!({"user_id": user})).await;
    assert_eq!(linked["user_id"], user.as_str());
}

#[tokio::test]
async fn the_technician_list_filters_by_skill_activity_and_name_and_pages() {
    let c = crew().await;
    for (name, skills, active) in [
        ("Dan Light", json!(["light"]), true),
        ("Ana Sound", json!(["sound", "light"]), true),
        ("Cleo Rig", json!(["rigging"]), false),
        ("Bob 100%_Sound", json!(["sound"]), true),
        ("Eve Lightning", json!(["lightning"]), true),
    ] {
        let mut t = technician(name);
        t["skills"] = skills;
        t["active"] = json!(active);
        c.create("/api/v1/technicians", t).await;
    }
    let all = c.get("/api/v1/technicians").await;
    assert_eq!(all["total"], 5);
    assert_eq!(
        names(&all),
        [
            "Ana Sound",
            "Bob 100%_Sound",
            "Cleo Rig",
            "Dan Light",
            "Eve Lightning"
        ]
    );

    // `light` is one skill, not a prefix of `lightning`.
    let light = c.get("/api/v1/technicians?skill=light").await;
    assert_eq!(names(&light), ["Ana Sound", "Dan Light"]);
    let inactive = c.get("/api/v1/technicians?active=false").await;
    assert_eq!(names(&inactive), ["Cleo Rig"]);
    let sound_active = c.get("/api/v1/technicians?skill=sound&active=true").await;
    assert_eq!(names(&sound_active), ["Ana Sound", "Bob 100%_Sound"]);
    let q = c.get("/api/v1/technicians?q=LIGHT").await;
    assert_eq!(names(&q), ["Dan Light", "Eve Lightning"]);
    // Wildcards are literal.
    let q = c.get("/api/v1/technicians?q=0%25_s").await;
    assert_eq!(names(&q), ["Bob 100%_Sound"]);
    let q = c.get("/api/v1/technicians?q=_").await;
    assert_eq!(names(&q), ["Bob 100%_Sound"]);

    let page = c.get("/api/v1/technicians?page=2&size=2").await;
    assert_eq!(names(&page), ["Cleo Rig", "Dan Light"]);
    assert_eq!(
        (&page["total"], &page["page"], &page["size"]),
        (&json!(5), &json!(2), &json!(2))
    );
    let past = c.get("/api/v1/technicians?page=9&size=2").await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], 5);

    for (query, field) in [
        ("skill=Light", "skill"),
        ("active=maybe", "active"),
        ("page=0", "page"),
        ("size=201", "size"),
        ("sort=name", "sort"),
    ] {
        let response = c
            .app
            .get(&format!("/api/v1/technicians?{query}"), &c.admin)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_technician_with_assignments_cannot_be_deleted_but_can_be_deactivated() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    let busy = c.technician("Busy").await;
    let mission = insert_mission(&c.app, c.tenant.id, &venue, None, None).await;
    insert_assignment(&c.app, c.tenant.id, mission, &busy).await;

    let path = format!("/api/v1/technicians/{busy}");
    let response = c.delete_as(&c.admin, &path).await;
    let b = assert_error(response, StatusCode::CONFLICT, "CONFLICT_IN_USE").await;
    assert!(b["detail"].as_str().unwrap().contains("deactivate"), "{b}");
    c.get(&path).await;
    let deactivated = c.patch_ok(&path, json!({"active": false})).await;
    assert_eq!(deactivated["active"], false);
}

#[tokio::test]
async fn deleting_a_technician_removes_their_availabilities_and_the_relations_naming_them() {
    let c = crew().await;
    let leaving = c.technician("Leaving").await;
    let staying = c.technician("Staying").await;
    let mut friend = technician("Friend");
    friend["relations"] = json!([
        {"technician_id": leaving, "kind": "affinity"},
        {"technician_id": staying, "kind": "incompatibility", "severity": "soft", "weight": 3},
    ]);
    let friend = id(&c.create("/api/v1/technicians", friend).await);
    let availability = id(&c
        .create(
            "/api/v1/availabilities",
            json!({"technician_id": leaving, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available"}),
        )
        .await);

    let before = c.generation().await;
    let response = c
        .delete_as(&c.admin, &format!("/api/v1/technicians/{leaving}"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        c.generation().await > before,
        "the plan cache was invalidated"
    );
    let response = c
        .app
        .get(&format!("/api/v1/technicians/{leaving}"), &c.admin)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c
        .app
        .get(&format!("/api/v1/availabilities/{availability}"), &c.admin)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let friend = c.get(&format!("/api/v1/technicians/{friend}")).await;
    assert_eq!(
        friend["relations"],
        json!([{"technician_id": staying, "kind": "incompatibility", "severity": "soft", "weight": 3}])
    );
    // Deleting twice is a 404.
    let response = c
        .delete_as(&c.admin, &format!("/api/v1/technicians/{leaving}"))
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

#[tokio::test]
async fn techs_and_viewers_read_the_crew_but_cannot_change_it_nor_see_others_pay() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    let project = id(&c.create("/api/v1/projects", json!({"name": "Tour"})).await);
    let room = id(&c
        .create(
            &format!("/api/v1/venues/{venue}/rooms"),
            json!({"name": "Hall"}),
        )
        .await);
    let tech_user = c
        .app
        .create_user(&c.tenant, "tech@acme.test", Role::Tech)
        .await;
    let mut own = technician("Own Profile");
    own["user_id"] = json!(tech_user);
    let own = id(&c.create("/api/v1/technicians", own).await);
    let colleague = c.technician("Colleague").await;
    let tech = c.app.login_ok("acme", "tech@acme.test").await.access;
    let viewer = c.app.login_as(&c.tenant, Role::Viewer).await.access;

    for token in [&tech, &viewer] {
        let writes = [
            (
                Method::POST,
                "/api/v1/technicians".to_owned(),
                technician("X"),
            ),
            (
                Method::PATCH,
                format!("/api/v1/technicians/{colleague}"),
                json!({"name": "Y"}),
            ),
            (
                Method::DELETE,
                format!("/api/v1/technicians/{colleague}"),
                json!({}),
            ),
            (
                Method::POST,
                "/api/v1/venues".to_owned(),
                json!({"name": "V"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/venues/{venue}"),
                json!({"name": "V"}),
            ),
            (Method::DELETE, format!("/api/v1/venues/{venue}"), json!({})),
            (
                Method::POST,
                format!("/api/v1/venues/{venue}/rooms"),
                json!({"name": "R"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/venues/{venue}/rooms/{room}"),
                json!({"name": "R"}),
            ),
            (
                Method::DELETE,
                format!("/api/v1/venues/{venue}/rooms/{room}"),
                json!({}),
            ),
            (
                Method::POST,
                "/api/v1/projects".to_owned(),
                json!({"name": "P"}),
            ),
            (
                Method::PATCH,
                format!("/api/v1/projects/{project}"),
                json!({"name": "P"}),
            ),
            (
                Method::DELETE,
                format!("/api/v1/projects/{project}"),
                json!({}),
            ),
        ];
        for (method, path, payload) in writes {
            let response = c.send(method.clone(), &path, token, &payload).await;
            assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
        }
        for path in [
            "/api/v1/technicians".to_owned(),
            format!("/api/v1/technicians/{colleague}"),
            "/api/v1/venues".to_owned(),
            format!("/api/v1/venues/{venue}"),
            format!("/api/v1/venues/{venue}/rooms"),
            format!("/api/v1/venues/{venue}/rooms/{room}"),
            "/api/v1/projects".to_owned(),
            format!("/api/v1/projects/{project}"),
        ] {
            c.get_as(token, &path).await;
        }
        // Pay is personal.
        let other = c
            .get_as(token, &format!("/api/v1/technicians/{colleague}"))
            .await;
        assert!(other.get("contract").is_none(), "{other}");
        let listed = c.get_as(token, "/api/v1/technicians").await;
        assert!(
            listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("contract").is_none() || t["id"] == own.as_str()),
            "{listed}"
        );
    }
    let mine = c.get_as(&tech, &format!("/api/v1/technicians/{own}")).await;
    assert_eq!(mine["contract"]["hourly_rate_cents"], 2500);
    let managers = c.app.login_as(&c.tenant, Role::Manager).await.access;
    let seen = c
        .get_as(&managers, &format!("/api/v1/technicians/{colleague}"))
        .await;
    assert_eq!(seen["contract"]["kind"], "hourly");
    // Managers plan: they write the crew.
    c.create_as(&managers, "/api/v1/technicians", technician("By a manager"))
        .await;
    let response = c
        .app
        .request(Method::GET, "/api/v1/technicians", None)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "AUTH_INVALID").await;
}

#[tokio::test]
async fn another_tenants_ids_are_unknown_on_every_route_and_never_listed() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    let room = id(&c
        .create(
            &format!("/api/v1/venues/{venue}/rooms"),
            json!({"name": "Hall"}),
        )
        .await);
    let technician_id = c.technician("Ana").await;
    let project = id(&c.create("/api/v1/projects", json!({"name": "Tour"})).await);
    let availability = id(&c
        .create(
            "/api/v1/availabilities",
            json!({"technician_id": technician_id, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available"}),
        )
        .await);

    let other = c.app.create_tenant("other").await;
    let intruder = c.app.login_ok("other", &other.admin_email).await.access;
    let own_venue = id(&c
        .create_as(&intruder, "/api/v1/venues", json!({"name": "Mine"}))
        .await);
    for path in [
        format!("/api/v1/technicians/{technician_id}"),
        format!("/api/v1/projects/{project}"),
        format!("/api/v1/venues/{venue}"),
        format!("/api/v1/venues/{venue}/rooms"),
        format!("/api/v1/venues/{venue}/rooms/{room}"),
        // Their own venue, our room.
        format!("/api/v1/venues/{own_venue}/rooms/{room}"),
        format!("/api/v1/availabilities/{availability}"),
    ] {
        let response = c.app.get(&path, &intruder).await;
        assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
        let payload = if path.contains("/availabilities/") {
            json!({"kind": "unavailable"})
        } else {
            json!({"name": "Stolen"})
        };
        if !path.ends_with("/rooms") {
            let response = c.send(Method::PATCH, &path, &intruder, &payload).await;
            assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
            let response = c.delete_as(&intruder, &path).await;
            assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
        }
    }
    let response = c
        .send(
            Method::POST,
            &format!("/api/v1/venues/{venue}/rooms"),
            &intruder,
            &json!({"name": "Annex"}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    // Another tenant's technician cannot receive availabilities.
    let response = c
        .send(
            Method::POST,
            "/api/v1/availabilities",
            &intruder,
            &json!({"technician_id": technician_id, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available"}),
        )
        .await;
    let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
    assert_eq!(b["meta"]["field"], "technician_id");

    for path in [
        "/api/v1/technicians",
        "/api/v1/projects",
        "/api/v1/availabilities",
        &format!("/api/v1/availabilities?technician_id={technician_id}"),
    ] {
        let listed = c.get_as(&intruder, path).await;
        assert_eq!(listed["total"], 0, "{path}: {listed}");
    }
    let venues = c.get_as(&intruder, "/api/v1/venues").await;
    assert_eq!(names(&venues), ["Mine"]);
    // Nothing of ours was touched.
    assert_eq!(
        c.get(&format!("/api/v1/venues/{venue}")).await["rooms"][0]["name"],
        "Hall"
    );
    assert_eq!(c.get("/api/v1/technicians").await["total"], 1);
    assert_eq!(c.get("/api/v1/availabilities").await["total"], 1);
}

#[tokio::test]
async fn unknown_ids_are_404s_and_malformed_ones_validation_errors() {
    let c = crew().await;
    let venue = c.venue("V").await;
    for resource in [
        "technicians",
        "projects",
        "venues",
        "availabilities",
        &format!("venues/{venue}/rooms"),
    ] {
        let unknown = format!("/api/v1/{resource}/{}", Uuid::now_v7());
        let response = c.app.get(&unknown, &c.admin).await;
        assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
        let response = c.delete_as(&c.admin, &unknown).await;
        assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
        let malformed = format!("/api/v1/{resource}/not-a-uuid");
        let response = c.app.get(&malformed, &c.admin).await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], "path", "{malformed}");
    }
}

// --- projects --------------------------------------------------------------------------

#[tokio::test]
async fn projects_are_created_read_updated_and_deleted() {
    let c = crew().await;
    let before = c.generation().await;
    let created = c
        .create(
            "/api/v1/projects",
            json!({"name": " Summer tour ", "client": "Live Nation", "starts_on": "2026-07-01", "ends_on": "2026-07-14"}),
        )
        .await;
    assert_eq!(
        (
            &created["name"],
            &created["client"],
            &created["starts_on"],
            &created["ends_on"]
        ),
        (
            &json!("Summer tour"),
            &json!("Live Nation"),
            &json!("2026-07-01"),
            &json!("2026-07-14")
        )
    );
    assert!(c.generation().await > before);
    let path = format!("/api/v1/projects/{}", id(&created));
    assert_eq!(c.get(&path).await, created);

    let updated = c
        .patch_ok(&path, json!({"client": null, "ends_on": "2026-07-20"}))
        .await;
    assert_eq!(updated["client"], Value::Null);
    assert_eq!(updated["ends_on"], "2026-07-20");
    assert_eq!(updated["name"], "Summer tour");
    assert_eq!(updated["starts_on"], "2026-07-01");
    let undated = c
        .patch_ok(&path, json!({"starts_on": null, "ends_on": null}))
        .await;
    assert_eq!(
        (&undated["starts_on"], &undated["ends_on"]),
        (&Value::Null, &Value::Null)
    );

    // A mission of the project keeps going without it.
    let venue = c.venue("La Cigale").await;
    let mission = insert_mission(&c.app, c.tenant.id, &venue, None, Some(&id(&created))).await;
    assert_eq!(
        mission_links(&c.app, mission).await.0,
        Some(uuid(&id(&created)))
    );
    let before = c.generation().await;
    let response = c.delete_as(&c.admin, &path).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(c.generation().await > before);
    assert_eq!(mission_links(&c.app, mission).await.0, None);
    let response = c.app.get(&path, &c.admin).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c.delete_as(&c.admin, &path).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

#[tokio::test]
async fn project_names_are_unique_in_a_tenant_only() {
    let c = crew().await;
    c.create("/api/v1/projects", json!({"name": "Tour"})).await;
    let response = c
        .send(
            Method::POST,
            "/api/v1/projects",
            &c.admin,
            &json!({"name": " Tour "}),
        )
        .await;
    let b = assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
    assert_eq!(b["meta"]["field"], "name");
    let festival = id(&c
        .create("/api/v1/projects", json!({"name": "Festival"}))
        .await);
    let response = c
        .send(
            Method::PATCH,
            &format!("/api/v1/projects/{festival}"),
            &c.admin,
            &json!({"name": "Tour"}),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;

    let other = c.app.create_tenant("other").await;
    let token = c.app.login_ok("other", &other.admin_email).await.access;
    c.create_as(&token, "/api/v1/projects", json!({"name": "Tour"}))
        .await;
}

#[tokio::test]
async fn invalid_project_fields_are_named_in_the_error() {
    let c = crew().await;
    for (payload, field) in [
        (json!({}), "name"),
        (json!({"name": " "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "P", "client": ""}), "client"),
        (json!({"name": "P", "starts_on": "01/07/2026"}), "starts_on"),
        (json!({"name": "P", "ends_on": "2026-02-30"}), "ends_on"),
        (
            json!({"name": "P", "starts_on": "2026-07-14", "ends_on": "2026-07-01"}),
            "ends_on",
        ),
        (json!({"name": "P", "budget": 3}), "budget"),
    ] {
        c.refused(Method::POST, "/api/v1/projects", payload, field)
            .await;
    }
    let project = c
        .create(
            "/api/v1/projects",
            json!({"name": "P", "starts_on": "2026-07-01", "ends_on": "2026-07-14"}),
        )
        .await;
    let path = format!("/api/v1/projects/{}", id(&project));
    for (payload, field) in [
        (json!({"name": null}), "name"),
        (json!({"ends_on": "2026-06-30"}), "ends_on"),
        (json!({"starts_on": "2026-07-15"}), "starts_on"),
        (
            json!({"starts_on": "2026-08-01", "ends_on": "2026-07-31"}),
            "ends_on",
        ),
    ] {
        c.refused(Method::PATCH, &path, payload, field).await;
    }
    // Both moved together is fine.
    c.patch_ok(
        &path,
        json!({"starts_on": "2026-08-01", "ends_on": "2026-08-02"}),
    )
    .await;
    assert_eq!(c.get("/api/v1/projects").await["total"], 1);
}

#[tokio::test]
async fn the_project_list_filters_by_name_and_by_overlapping_dates() {
    let c = crew().await;
    for payload in [
        json!({"name": "July tour", "starts_on": "2026-07-01", "ends_on": "2026-07-14"}),
        json!({"name": "August festival", "starts_on": "2026-08-01", "ends_on": "2026-08-31"}),
        json!({"name": "Undated client"}),
        json!({"name": "From September", "starts_on": "2026-09-01"}),
    ] {
        c.create("/api/v1/projects", payload).await;
    }
    for (query, expected) in [
        (
            "",
            vec![
                "August festival",
                "From September",
                "July tour",
                "Undated client",
            ],
        ),
        ("?q=TOUR", vec!["July tour"]),
        (
            "?from=2026-07-10&to=2026-07-20",
            vec!["July tour", "Undated client"],
        ),
        // Both bounds are inclusive days.
        (
            "?from=2026-07-14&to=2026-07-14",
            vec!["July tour", "Undated client"],
        ),
        ("?from=2026-07-15&to=2026-07-31", vec!["Undated client"]),
        (
            "?from=2026-08-15",
            vec!["August festival", "From September", "Undated client"],
        ),
        ("?to=2026-07-05", vec!["July tour", "Undated client"]),
        // An instant is its day in the tenant's zone: 23:30 UTC is already 1 August in Paris.
        (
            "?from=2026-07-31T23:30:00Z&to=2026-07-31T23:30:00Z",
            vec!["August festival", "Undated client"],
        ),
        ("?q=client&from=2026-01-01", vec!["Undated client"]),
        ("?page=2&size=3", vec!["Undated client"]),
    ] {
        let listed = c.get(&format!("/api/v1/projects{query}")).await;
        assert_eq!(names(&listed), expected, "{query}");
    }
    for (query, field) in [
        ("from=2026-07-20&to=2026-07-10", "to"),
        ("from=yesterday", "from"),
        ("to=2026-07-01T10:00:00", "to"),
    ] {
        let response = c
            .app
            .get(&format!("/api/v1/projects?{query}"), &c.admin)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "{query}");
    }
}

// --- venues and rooms ------------------------------------------------------------------

#[tokio::test]
async fn venues_are_shown_with_their_rooms_and_rooms_are_managed_under_their_venue() {
    let c = crew().await;
    let created = c
        .create(
            "/api/v1/venues",
            json!({"name": " La Cigale ", "address": "120 bd de Rochechouart\n75018 Paris"}),
        )
        .await;
    assert_eq!(created["name"], "La Cigale");
    assert_eq!(created["rooms"], json!([]));
    let venue = id(&created);
    let rooms_path = format!("/api/v1/venues/{venue}/rooms");
    let before = c.generation().await;
    let hall = c
        .create(&rooms_path, json!({"name": "Main hall", "capacity": 1400}))
        .await;
    assert!(c.generation().await > before);
    assert_eq!(hall["venue_id"], venue.as_str());
    assert_eq!(hall["capacity"], 1400);
    let bar = c.create(&rooms_path, json!({"name": "Bar"})).await;
    assert_eq!(bar["capacity"], Value::Null);

    let fetched = c.get(&format!("/api/v1/venues/{venue}")).await;
    assert_eq!(fetched["rooms"], json!([bar, hall]), "rooms by name");
    let room_path = format!("{rooms_path}/{}", id(&hall));
    assert_eq!(c.get(&room_path).await, hall);
    let rooms = c.get(&format!("{rooms_path}?size=1&page=2")).await;
    assert_eq!(names(&rooms), ["Main hall"]);
    assert_eq!(rooms["total"], 2);

    // Other venues in the list, each with its own rooms.
    let olympia = c.venue("Olympia").await;
    c.create(
        &format!("/api/v1/venues/{olympia}/rooms"),
        json!({"name": "Main hall"}),
    )
    .await;
    c.venue("Bataclan").await;
    let listed = c.get("/api/v1/venues").await;
    assert_eq!(names(&listed), ["Bataclan", "La Cigale", "Olympia"]);
    let rooms_of = |i: usize| -> Vec<String> {
        listed["items"][i]["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        (rooms_of(0), rooms_of(1), rooms_of(2)),
        (
            vec![],
            vec!["Bar".to_owned(), "Main hall".to_owned()],
            vec!["Main hall".to_owned()]
        )
    );
    let second = c.get("/api/v1/venues?page=2&size=2").await;
    assert_eq!(names(&second), ["Olympia"]);
    assert_eq!(second["items"][0]["rooms"][0]["name"], "Main hall");

    let updated = c
        .patch_ok(
            &format!("/api/v1/venues/{venue}"),
            json!({"address": null, "name": "La Cigale Paris"}),
        )
        .await;
    assert_eq!(updated["address"], Value::Null);
    assert_eq!(updated["name"], "La Cigale Paris");
    assert_eq!(updated["rooms"].as_array().unwrap().len(), 2);
    let room = c
        .patch_ok(
            &room_path,
            json!({"capacity": null, "name": "Grande salle"}),
        )
        .await;
    assert_eq!(room["capacity"], Value::Null);
    assert_eq!(room["name"], "Grande salle");
    let room = c.patch_ok(&room_path, json!({"capacity": 0})).await;
    assert_eq!(room["capacity"], 0);
    assert_eq!(room["name"], "Grande salle");

    // Names: unique per tenant for venues, per venue for rooms.
    let response = c
        .send(
            Method::POST,
            "/api/v1/venues",
            &c.admin,
            &json!({"name": "Olympia"}),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
    let response = c
        .send(
            Method::PATCH,
            &format!("/api/v1/venues/{venue}"),
            &c.admin,
            &json!({"name": "Olympia"}),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
    let response = c
        .send(Method::POST, &rooms_path, &c.admin, &json!({"name": "Bar"}))
        .await;
    let b = assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;
    assert_eq!(b["meta"]["field"], "name");
    let response = c
        .send(Method::PATCH, &room_path, &c.admin, &json!({"name": "Bar"}))
        .await;
    assert_error(response, StatusCode::CONFLICT, "CONFLICT_DUPLICATE").await;

    // A room is reached through its own venue only.
    let elsewhere = format!("/api/v1/venues/{olympia}/rooms/{}", id(&hall));
    let response = c.app.get(&elsewhere, &c.admin).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c
        .send(
            Method::PATCH,
            &elsewhere,
            &c.admin,
            &json!({"name": "Moved"}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c.delete_as(&c.admin, &elsewhere).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c
        .app
        .get(
            &format!("/api/v1/venues/{}/rooms", Uuid::now_v7()),
            &c.admin,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c
        .send(
            Method::POST,
            &format!("/api/v1/venues/{}/rooms", Uuid::now_v7()),
            &c.admin,
            &json!({"name": "Ghost"}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;

    // The typed records other areas read.
    let record = c
        .app
        .storage
        .venue(c.tenant.id, VenueId(uuid(&venue)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.rooms.len(), 2);
    let room_record = c
        .app
        .storage
        .room(c.tenant.id, record.rooms[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(room_record.venue_id, record.id);
}

#[tokio::test]
async fn invalid_venue_and_room_fields_are_named_in_the_error() {
    let c = crew().await;
    for (payload, field) in [
        (json!({}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "V", "address": "x".repeat(501)}), "address"),
        (json!({"name": "V", "address": " "}), "address"),
        (json!({"name": "V", "rooms": []}), "rooms"),
    ] {
        c.refused(Method::POST, "/api/v1/venues", payload, field)
            .await;
    }
    let venue = c.venue("V").await;
    c.refused(
        Method::PATCH,
        &format!("/api/v1/venues/{venue}"),
        json!({"name": null}),
        "name",
    )
    .await;
    let rooms = format!("/api/v1/venues/{venue}/rooms");
    for (payload, field) in [
        (json!({"name": "  "}), "name"),
        (json!({"name": "R", "capacity": -1}), "capacity"),
        (json!({"name": "R", "capacity": 1_000_001}), "capacity"),
        (
            json!({"name": "R", "capacity": 10_000_000_000_i64}),
            "capacity",
        ),
        (json!({"name": "R", "capacity": "many"}), "capacity"),
    ] {
        c.refused(Method::POST, &rooms, payload, field).await;
    }
    let room = id(&c.create(&rooms, json!({"name": "R"})).await);
    for (payload, field) in [
        (json!({"name": null}), "name"),
        (json!({"capacity": -3}), "capacity"),
    ] {
        c.refused(Method::PATCH, &format!("{rooms}/{room}"), payload, field)
            .await;
    }
}

#[tokio::test]
async fn a_venue_with_missions_cannot_be_deleted() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    insert_mission(&c.app, c.tenant.id, &venue, None, None).await;
    let response = c
        .delete_as(&c.admin, &format!("/api/v1/venues/{venue}"))
        .await;
    let b = assert_error(response, StatusCode::CONFLICT, "CONFLICT_IN_USE").await;
    assert!(b["detail"].as_str().unwrap().contains("mission"), "{b}");
    c.get(&format!("/api/v1/venues/{venue}")).await;
}

#[tokio::test]
async fn deleting_a_venue_takes_its_rooms_and_leaves_the_technicians_preferences() {
    let c = crew().await;
    let leaving = c.venue("Leaving").await;
    let staying = c.venue("Staying").await;
    let room = id(&c
        .create(
            &format!("/api/v1/venues/{leaving}/rooms"),
            json!({"name": "Hall"}),
        )
        .await);
    let mut t = technician("Ana");
    t["preferences"] =
        json!({"preferred_venues": [leaving], "avoided_venues": [staying], "max_weekly_hours": 30});
    let t = id(&c.create("/api/v1/technicians", t).await);

    let before = c.generation().await;
    let response = c
        .delete_as(&c.admin, &format!("/api/v1/venues/{leaving}"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(c.generation().await > before);
    let response = c
        .app
        .get(&format!("/api/v1/venues/{leaving}"), &c.admin)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let room_record = c
        .app
        .storage
        .room(c.tenant.id, callsheet::domain::RoomId(uuid(&room)))
        .await
        .unwrap();
    assert_eq!(room_record, None, "the rooms went with the venue");
    let ana = c.get(&format!("/api/v1/technicians/{t}")).await;
    assert_eq!(
        ana["preferences"],
        json!({"preferred_venues": [], "avoided_venues": [staying], "max_weekly_hours": 30})
    );
}

#[tokio::test]
async fn deleting_a_room_leaves_its_missions_at_the_venue_without_a_room() {
    let c = crew().await;
    let venue = c.venue("La Cigale").await;
    let room = id(&c
        .create(
            &format!("/api/v1/venues/{venue}/rooms"),
            json!({"name": "Hall"}),
        )
        .await);
    let mission = insert_mission(&c.app, c.tenant.id, &venue, Some(&room), None).await;
    assert_eq!(mission_links(&c.app, mission).await.1, Some(uuid(&room)));
    let before = c.generation().await;
    let response = c
        .delete_as(&c.admin, &format!("/api/v1/venues/{venue}/rooms/{room}"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(c.generation().await > before);
    assert_eq!(mission_links(&c.app, mission).await.1, None);
    assert_eq!(
        c.get(&format!("/api/v1/venues/{venue}")).await["rooms"],
        json!([])
    );
    let response = c
        .delete_as(&c.admin, &format!("/api/v1/venues/{venue}/rooms/{room}"))
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

// --- availabilities --------------------------------------------------------------------

#[tokio::test]
async fn availabilities_are_stored_to_the_second_and_shown_in_the_tenants_zone() {
    let c = crew().await;
    let t = c.technician("Ana").await;
    let before = c.generation().await;
    let summer = c
        .create(
            "/api/v1/availabilities",
            json!({"technician_id": t, "start": "2026-07-01T18:00:00.750Z", "end": "2026-07-02T01:30:00+02:00", "kind": "preferred", "note": " Late shows only "}),
        )
        .await;
    assert!(c.generation().await > before);
    assert_eq!(summer["start"], "2026-07-01T20:00:00+02:00");
    assert_eq!(summer["end"], "2026-07-02T01:30:00+02:00");
    assert_eq!(summer["kind"], "preferred");
    assert_eq!(summer["note"], "Late shows only");
    assert_eq!(summer["technician_id"], t.as_str());
    let winter = c
        .create(
            "/api/v1/availabilities",
            json!({"technician_id": t, "start": "2026-01-15T08:00:00Z", "end": "2026-01-15T17:00:00Z", "kind": "unavailable"}),
        )
        .await;
    assert_eq!(winter["start"], "2026-01-15T09:00:00+01:00");
    assert_eq!(winter["note"], Value::Null);
    assert_eq!(
        c.get(&format!("/api/v1/availabilities/{}", id(&summer)))
            .await,
        summer
    );

    // The tenant moves: the same instants, shown in the new zone.
    let response = c
        .send(
            Method::PATCH,
            "/api/v1/tenant",
            &c.admin,
            &json!({"time_zone": "America/New_York"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let shown = c
        .get(&format!("/api/v1/availabilities/{}", id(&summer)))
        .await;
    assert_eq!(shown["start"], "2026-07-01T14:00:00-04:00");
}

#[tokio::test]
async fn invalid_availability_fields_are_named_in_the_error() {
    let c = crew().await;
    let t = c.technician("Ana").await;
    let with = |extra: Value| {
        let mut a = json!({"technician_id": t, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                a.as_object_mut().unwrap().remove(k);
            } else {
                a[k] = v.clone();
            }
        }
        a
    };
    for (payload, field) in [
        (with(json!({"start": "2026-07-01T08:00:00"})), "start"),
        (with(json!({"start": "tomorrow"})), "start"),
        (with(json!({"end": "2026-07-01"})), "end"),
        (with(json!({"end": "2026-07-01T08:00:00Z"})), "end"),
        (with(json!({"end": "2026-06-30T08:00:00Z"})), "end"),
        // Equal once truncated to the second.
        (
            with(json!({"start": "2026-07-01T08:00:00.100Z", "end": "2026-07-01T08:00:00.900Z"})),
            "end",
        ),
        (with(json!({"end": "2027-07-03T08:00:00Z"})), "end"),
        (with(json!({"kind": "maybe"})), "kind"),
        (with(json!({"kind": null})), "kind"),
        (with(json!({"start": null})), "start"),
        (
            with(json!({"technician_id": Uuid::now_v7()})),
            "technician_id",
        ),
        (with(json!({"technician_id": "x"})), "technician_id"),
        // The admin has no technician profile to default to.
        (with(json!({"technician_id": null})), "technician_id"),
        (with(json!({"note": "x".repeat(1001)})), "note"),
        (with(json!({"note": ""})), "note"),
        (with(json!({"hours": 3})), "hours"),
    ] {
        c.refused(Method::POST, "/api/v1/availabilities", payload, field)
            .await;
    }
    // Exactly 366 days is allowed.
    c.create(
        "/api/v1/availabilities",
        with(json!({"start": "2026-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z"})),
    )
    .await;
    assert_eq!(c.get("/api/v1/availabilities").await["total"], 1);
}

#[tokio::test]
async fn availability_patches_check_the_window_as_it_will_be() {
    let c = crew().await;
    let ana = c.technician("Ana").await;
    let bea = c.technician("Bea").await;
    let created = c
        .create(
            "/api/v1/availabilities",
            json!({"technician_id": ana, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available", "note": "n"}),
        )
        .await;
    let path = format!("/api/v1/availabilities/{}", id(&created));
    for (payload, field) in [
        (json!({"end": "2026-07-01T07:00:00Z"}), "end"),
        (json!({"start": "2026-07-01T18:00:00Z"}), "end"),
        (json!({"start": "2025-06-01T00:00:00Z"}), "end"),
        (json!({"start": null}), "start"),
        (json!({"kind": null}), "kind"),
        (json!({"technician_id": null}), "technician_id"),
        (json!({"technician_id": Uuid::now_v7()}), "technician_id"),
        (json!({"start": "noon"}), "start"),
    ] {
        c.refused(Method::PATCH, &path, payload, field).await;
    }
    assert_eq!(
        c.get(&path).await,
        created,
        "refused patches change nothing"
    );

    let before = c.generation().await;
    let moved = c
        .patch_ok(
            &path,
            json!({"start": "2026-07-01T16:00:00Z", "end": "2026-07-02T02:00:00.999Z"}),
        )
        .await;
    assert!(c.generation().await > before);
    assert_eq!(moved["start"], "2026-07-01T18:00:00+02:00");
    assert_eq!(moved["end"], "2026-07-02T04:00:00+02:00");
    assert_eq!(moved["note"], "n");
    let later = c
        .patch_ok(&path, json!({"end": "2026-07-02T03:00:00Z"}))
        .await;
    assert_eq!(later["start"], moved["start"]);
    let changed = c
        .patch_ok(
            &path,
            json!({"kind": "unavailable", "note": null, "technician_id": bea}),
        )
        .await;
    assert_eq!(changed["kind"], "unavailable");
    assert_eq!(changed["note"], Value::Null);
    assert_eq!(changed["technician_id"], bea.as_str());
    assert_eq!(changed["end"], later["end"]);

    let before = c.generation().await;
    let response = c.delete_as(&c.admin, &path).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(c.generation().await > before);
    let response = c.delete_as(&c.admin, &path).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

#[tokio::test]
async fn the_availability_list_filters_by_technician_kind_and_window() {
    let c = crew().await;
    let ana = c.technician("Ana").await;
    let bea = c.technician("Bea").await;
    // Local (Paris, +02:00) times in the notes.
    for (t, start, end, kind, note) in [
        (
            &ana,
            "2026-07-01T06:00:00Z",
            "2026-07-01T16:00:00Z",
            "available",
            "a1 jul1 08-18",
        ),
        (
            &bea,
            "2026-07-01T20:00:00Z",
            "2026-07-02T02:00:00Z",
            "preferred",
            "b1 jul1 22-04",
        ),
        (
            &ana,
            "2026-07-02T22:00:00Z",
            "2026-07-03T22:00:00Z",
            "unavailable",
            "a2 jul3 all day",
        ),
        (
            &bea,
            "2026-06-29T22:00:00Z",
            "2026-06-30T22:00:00Z",
            "available",
            "b0 jun30",
        ),
    ] {
        c.create(
            "/api/v1/availabilities",
            json!({"technician_id": t, "start": start, "end": end, "kind": kind, "note": note}),
        )
        .await;
    }
    let notes = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["note"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        (
            "",
            vec![
                "b0 jun30",
                "a1 jul1 08-18",
                "b1 jul1 22-04",
                "a2 jul3 all day",
            ],
        ),
        (
            &format!("?technician_id={ana}"),
            vec!["a1 jul1 08-18", "a2 jul3 all day"],
        ),
        ("?kind=available", vec!["b0 jun30", "a1 jul1 08-18"]),
        // 1 July, local: the whole day.
        (
            "?from=2026-07-01&to=2026-07-01",
            vec!["a1 jul1 08-18", "b1 jul1 22-04"],
        ),
        ("?from=2026-07-02", vec!["b1 jul1 22-04", "a2 jul3 all day"]),
        ("?to=2026-06-30", vec!["b0 jun30"]),
        // Half-open: a window ending exactly at `from` is out.
        (
            "?from=2026-07-01T18:00:00%2B02:00&to=2026-07-01T22:00:00%2B02:00",
            vec![],
        ),
        (
            "?from=2026-07-01T17:59:59%2B02:00&to=2026-07-01T22:00:01%2B02:00",
            vec!["a1 jul1 08-18", "b1 jul1 22-04"],
        ),
        (
            &format!("?technician_id={bea}&kind=preferred&from=2026-07-01"),
            vec!["b1 jul1 22-04"],
        ),
        ("?size=2&page=2", vec!["b1 jul1 22-04", "a2 jul3 all day"]),
    ] {
        let page = c.get(&format!("/api/v1/availabilities{query}")).await;
        assert_eq!(notes(&page), expected, "{query}");
    }
    let page = c.get("/api/v1/availabilities?size=3").await;
    assert_eq!(page["total"], 4);
    for (query, field) in [
        ("from=2026-07-02&to=2026-07-01", "to"),
        ("from=2026-07-01T10:00:00Z&to=2026-07-01T10:00:00Z", "to"),
        ("kind=busy", "kind"),
        ("technician_id=x", "technician_id"),
        ("from=soon", "from"),
    ] {
        let response = c
            .app
            .get(&format!("/api/v1/availabilities?{query}"), &c.admin)
            .await;
        let b = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERR").await;
        assert_eq!(b["meta"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_technician_manages_their_own_availabilities_only() {
    let c = crew().await;
    let user = c
        .app
        .create_user(&c.tenant, "ana@acme.test", Role::Tech)
        .await;
    let mut ana = technician("Ana");
    ana["user_id"] = json!(user);
    let ana = id(&c.create("/api/v1/technicians", ana).await);
    let bea = c.technician("Bea").await;
    let theirs = id(&c
        .create(
            "/api/v1/availabilities",
            json!({"technician_id": bea, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available"}),
        )
        .await);
    let tech = c.app.login_ok("acme", "ana@acme.test").await.access;

    // Without a technician_id, a technician declares for themselves.
    let own = c
        .create_as(
            &tech,
            "/api/v1/availabilities",
            json!({"start": "2026-07-02T08:00:00Z", "end": "2026-07-02T18:00:00Z", "kind": "unavailable"}),
        )
        .await;
    assert_eq!(own["technician_id"], ana.as_str());
    let own = id(&own);
    c.create_as(
        &tech,
        "/api/v1/availabilities",
        json!({"technician_id": ana, "start": "2026-07-03T08:00:00Z", "end": "2026-07-03T18:00:00Z", "kind": "preferred"}),
    )
    .await;
    let response = c
        .send(
            Method::POST,
            "/api/v1/availabilities",
            &tech,
            &json!({"technician_id": bea, "start": "2026-07-02T08:00:00Z", "end": "2026-07-02T18:00:00Z", "kind": "unavailable"}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;

    let mine = c.get_as(&tech, "/api/v1/availabilities").await;
    assert_eq!(mine["total"], 2);
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["technician_id"] == ana.as_str())
    );
    let filtered = c
        .get_as(
            &tech,
            &format!("/api/v1/availabilities?technician_id={bea}"),
        )
        .await;
    assert_eq!(filtered["total"], 0);
    let filtered = c
        .get_as(
            &tech,
            &format!("/api/v1/availabilities?technician_id={ana}&kind=preferred"),
        )
        .await;
    assert_eq!(filtered["total"], 1);

    let theirs_path = format!("/api/v1/availabilities/{theirs}");
    let response = c.app.get(&theirs_path, &tech).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c
        .send(
            Method::PATCH,
            &theirs_path,
            &tech,
            &json!({"kind": "unavailable"}),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c.delete_as(&tech, &theirs_path).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    assert_eq!(c.get(&theirs_path).await["kind"], "available", "untouched");

    let own_path = format!("/api/v1/availabilities/{own}");
    c.get_as(&tech, &own_path).await;
    let response = c
        .send(
            Method::PATCH,
            &own_path,
            &tech,
            &json!({"technician_id": bea}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
    let response = c
        .send(Method::PATCH, &own_path, &tech, &json!({"note": "Dentist"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["note"], "Dentist");
    let response = c.delete_as(&tech, &own_path).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // Planners and viewers see everyone's.
    assert_eq!(c.get("/api/v1/availabilities").await["total"], 2);
    let viewer = c.app.login_as(&c.tenant, Role::Viewer).await.access;
    assert_eq!(
        c.get_as(&viewer, "/api/v1/availabilities").await["total"],
        2
    );
    c.get_as(&viewer, &theirs_path).await;
    let response = c
        .send(
            Method::PATCH,
            &theirs_path,
            &viewer,
            &json!({"kind": "unavailable"}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;

    // A technician whose account has no profile sees nothing and declares nothing.
    let loner = c.app.login_as(&c.tenant, Role::Tech).await.access;
    let nothing = c.get_as(&loner, "/api/v1/availabilities").await;
    assert_eq!(
        (&nothing["total"], &nothing["items"]),
        (&json!(0), &json!([]))
    );
    let response = c
        .send(
            Method::POST,
            "/api/v1/availabilities",
            &loner,
            &json!({"start": "2026-07-02T08:00:00Z", "end": "2026-07-02T18:00:00Z", "kind": "unavailable"}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "AUTH_FORBIDDEN").await;
    let response = c.app.get(&theirs_path, &loner).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
    let response = c.delete_as(&loner, &theirs_path).await;
    assert_error(response, StatusCode::NOT_FOUND, "ENTITY_NOT_FOUND").await;
}

// --- the storage API other areas call ---------------------------------------------------

#[tokio::test]
async fn the_storage_api_serves_the_planner_its_technicians_and_availabilities() {
    let c = crew().await;
    let s = &c.app.storage;
    let tenant = c.tenant.id;
    let mut ids = Vec::new();
    for (name, active) in [("Cleo", true), ("Ana", false), ("Bea", true)] {
        let mut t = technician(name);
        t["active"] = json!(active);
        ids.push(TechnicianId(uuid(&id(&c
            .create("/api/v1/technicians", t)
            .await))));
    }
    let (cleo, ana, bea) = (ids[0], ids[1], ids[2]);

    let active = s.active_technicians(tenant).await.unwrap();
    let mut expected = vec![cleo, bea];
    expected.sort();
    assert_eq!(active.iter().map(|t| t.id).collect::<Vec<_>>(), expected);

    let stranger = TechnicianId::new();
    let found = s
        .technicians_by_ids(tenant, &[bea, stranger, ana, bea])
        .await
        .unwrap();
    let mut expected = vec![ana, bea];
    expected.sort();
    assert_eq!(found.iter().map(|t| t.id).collect::<Vec<_>>(), expected);
    assert!(s.technicians_by_ids(tenant, &[]).await.unwrap().is_empty());
    let other = c.app.create_tenant("other").await;
    assert!(
        s.technicians_by_ids(other.id, &[ana, bea])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.technician(other.id, ana).await.unwrap(), None);

    for (t, start, end) in [
        (bea, "2026-07-01T10:00:00Z", "2026-07-01T12:00:00Z"),
        (cleo, "2026-07-01T08:00:00Z", "2026-07-01T09:00:00Z"),
        (bea, "2026-07-01T06:00:00Z", "2026-07-01T07:00:00Z"),
        (cleo, "2026-07-02T08:00:00Z", "2026-07-02T09:00:00Z"),
    ] {
        c.create(
            "/api/v1/availabilities",
            json!({"technician_id": t, "start": start, "end": end, "kind": "available"}),
        )
        .await;
    }
    let day = Window::new(at("2026-07-01T00:00:00Z"), at("2026-07-02T00:00:00Z")).unwrap();
    let all = s
        .availabilities_overlapping(tenant, day, None)
        .await
        .unwrap();
    let mut expected = vec![
        (bea, at("2026-07-01T06:00:00Z")),
        (bea, at("2026-07-01T10:00:00Z")),
        (cleo, at("2026-07-01T08:00:00Z")),
    ];
    expected.sort();
    assert_eq!(
        all.iter()
            .map(|a| (a.technician_id, a.window.start()))
            .collect::<Vec<_>>(),
        expected
    );
    let cleos = s
        .availabilities_overlapping(tenant, day, Some(cleo))
        .await
        .unwrap();
    assert_eq!(cleos.len(), 1);
    assert_eq!(cleos[0].window.end(), at("2026-07-01T09:00:00Z"));
    assert!(
        s.availabilities_overlapping(other.id, day, None)
            .await
            .unwrap()
            .is_empty()
    );

    let project = c
        .create(
            "/api/v1/projects",
            json!({"name": "Tour", "starts_on": "2026-07-01"}),
        )
        .await;
    let record = s
        .project(tenant, callsheet::domain::ProjectId(uuid(&id(&project))))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.starts_on,
        chrono::NaiveDate::from_ymd_opt(2026, 7, 1)
    );
    assert_eq!(s.project(other.id, record.id).await.unwrap(), None);
}

#[tokio::test]
async fn concurrent_deletes_and_writes_all_succeed() {
    // Deletes check, then rewrite the rows that name what they delete, in one
    // transaction; under concurrent writers that must neither fail (SQLite cannot upgrade
    // a reading transaction once another has written) nor deadlock (PostgreSQL, when two
    // deletes rewrite each other's rows).
    let c = crew().await;
    let venue = c.venue("V").await;
    let closing = c.venue("Closing").await;
    let mut all = Vec::new();
    for i in 0..12 {
        let mut t = technician(&format!("T{i:02}"));
        t["preferences"] = json!({"preferred_venues": [venue, closing]});
        all.push(c.technician_with(t).await);
    }
    // Everyone relates to their two neighbours, so the deletes rewrite each other's rows.
    for (i, t) in all.iter().enumerate() {
        let (next, prev) = (
            &all[(i + 1) % all.len()],
            &all[(i + all.len() - 1) % all.len()],
        );
        c.patch_ok(
            &format!("/api/v1/technicians/{t}"),
            json!({"relations": [{"technician_id": next, "kind": "affinity"}, {"technician_id": prev, "kind": "incompatibility"}]}),
        )
        .await;
    }
    let (doomed, kept): (Vec<_>, Vec<_>) = all.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let doomed: Vec<String> = doomed.into_iter().map(|(_, t)| t.clone()).collect();
    let kept: Vec<String> = kept.into_iter().map(|(_, t)| t.clone()).collect();
    let mut requests = vec![(Method::DELETE, format!("/api/v1/venues/{closing}"), None)];
    for (i, (gone, stays)) in doomed.iter().zip(&kept).enumerate() {
        requests.extend([
            (Method::DELETE, format!("/api/v1/technicians/{gone}"), None),
            (Method::PATCH, format!("/api/v1/technicians/{stays}"), Some(json!({"name": format!("Kept {i}")}))),
            (
                Method::POST,
                "/api/v1/availabilities".to_owned(),
                Some(json!({"technician_id": stays, "start": "2026-07-01T08:00:00Z", "end": "2026-07-01T18:00:00Z", "kind": "available"})),
            ),
            (Method::POST, format!("/api/v1/venues/{venue}/rooms"), Some(json!({"name": format!("Room {i}")}))),
        ]);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (method, path, payload) in requests {
        let mut request = c
            .app
            .client
            .request(method, c.app.url(&path))
            .bearer_auth(&c.admin);
        if let Some(payload) = payload {
            request = request.json(&payload);
        }
        tasks.spawn(async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            (path, status, response.text().await.unwrap_or_default())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (path, status, text) = done.expect("task");
        assert!(
            status.is_success(),
            "[{}] {path}: {status} {text}",
            backend()
        );
    }
    let listed = c.get("/api/v1/technicians").await;
    assert_eq!(listed["total"], 6);
    for t in listed["items"].as_array().unwrap() {
        assert!(t["name"].as_str().unwrap().starts_with("Kept"), "{t}");
        assert_eq!(t["preferences"]["preferred_venues"], json!([venue]), "{t}");
        for r in t["relations"].as_array().unwrap() {
            assert!(kept.iter().any(|k| r["technician_id"] == k.as_str()), "{t}");
        }
    }
    assert_eq!(c.get("/api/v1/availabilities").await["total"], 6);
    assert_eq!(
        c.get(&format!("/api/v1/venues/{venue}")).await["rooms"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

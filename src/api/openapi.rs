//! The OpenAPI 3 document of the API, kept in the repository as `openapi.json` and served at
//! `/openapi.json`. The tests below check it against the live router.

use axum::http::header;
use axum::response::IntoResponse;

/// `openapi.json` at the top of the repository.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use crate::api::testing::{DEVICE_KEY, Gates, TOKEN, TestApi, bytes, json, request, t0};
    use crate::store::driver_tokens;
    use axum::http::{Method, StatusCode};
    use serde_json::{Value, json};

    /// Checks a value against an OpenAPI 3.0 schema: types, nullable, required, properties,
    /// `additionalProperties: false`, items, enum, oneOf and allOf, with local `$ref`s.
    fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/components/schemas/");
            return check(doc, &doc["components"]["schemas"][name], value, at);
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                check(doc, s, value, at)?;
            }
        }
        if let Some(any) = schema.get("oneOf").and_then(Value::as_array) {
            let errors: Vec<String> = any
                .iter()
                .filter_map(|s| check(doc, s, value, at).err())
                .collect();
            if errors.len() == any.len() {
                return Err(format!("{at}: matches none of oneOf: {errors:?}"));
            }
        }
        if value.is_null() {
            return if schema["nullable"] == true || schema.get("type").is_none() {
                Ok(())
            } else {
                Err(format!("{at}: null but not nullable"))
            };
        }
        if let Some(kind) = schema.get("type").and_then(Value::as_str) {
            let ok = match kind {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => false,
            };
            if !ok {
                return Err(format!("{at}: {value} is not {kind}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(format!("{at}: {value} not in {allowed:?}"));
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required {
                if value.get(key.as_str().unwrap()).is_none() {
                    return Err(format!("{at}: {key} is missing"));
                }
            }
        }
        if let (Some(props), Some(object)) = (
            schema.get("properties").and_then(Value::as_object),
            value.as_object(),
        ) {
            for (key, s) in props {
                if let Some(v) = object.get(key) {
                    check(doc, s, v, &format!("{at}.{key}"))?;
                }
            }
        }
        if schema["additionalProperties"] == false
            && let (Some(props), Some(object)) = (
                schema.get("properties").and_then(Value::as_object),
                value.as_object(),
            )
            && let Some(extra) = object.keys().find(|k| !props.contains_key(*k))
        {
            return Err(format!("{at}: {extra:?} is not a documented field"));
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, v) in array.iter().enumerate() {
                check(doc, items, v, &format!("{at}[{i}]"))?;
            }
        }
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_openapi_document_matches_the_live_router() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let file =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
        let doc: Value = serde_json::from_str(&file).unwrap();
        let served = s
            .send(request(Method::GET, "/openapi.json", Some(TOKEN), None))
            .await;
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(
            String::from_utf8(bytes(served).await.to_vec()).unwrap(),
            file,
            "the served document is the file"
        );

        // A parked driver, for the driver's route.
        let parked = s.codes.iter().find(|c| c.inside).unwrap().code.clone();
        let store = s.write();
        let driver = driver_tokens::create(store.conn(), s.account_of(&parked), t0()).unwrap();
        drop(store);
        let free = [s.free_code(0), s.free_code(1)];
        let mut posts = 0;

        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 9);
        for (path, operations) in paths {
            for (method, operation) in operations.as_object().unwrap() {
                let mut query = Vec::new();
                for p in operation["parameters"].as_array().into_iter().flatten() {
                    if p["required"] == true {
                        let name = p["name"].as_str().unwrap();
                        let sample = match name {
                            "type" => "entrance",
                            "device_key" => DEVICE_KEY,
                            other => panic!("no sample for {other}"),
                        };
                        query.push(format!("{name}={sample}"));
                    }
                }
                let url = if query.is_empty() {
                    path.clone()
                } else {
                    format!("{path}?{}", query.join("&"))
                };
                let body = match method.as_str() {
                    "get" => None,
                    "post" => {
                        posts += 1;
                        Some(json!({"data": free[posts - 1]}).to_string())
                    }
                    other => panic!("undocumented method {other}"),
                };
                let security = operation["security"][0].as_object();
                let token = if security.is_some_and(|sec| sec.contains_key("driver")) {
                    Some(driver.as_str())
                } else if security.is_some() {
                    Some(TOKEN)
                } else {
                    None
                };
                let res = s
                    .send(request(
                        method.to_uppercase().parse().unwrap(),
                        &url,
                        token,
                        body.as_deref(),
                    ))
                    .await;
                let status = res.status();
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} answers {status}"
                );
                let body = json(res).await;
                let documented = &operation["responses"][status.as_str()];
                assert!(
                    documented.is_object(),
                    "{method} {path}: {status} is not documented"
                );
                let schema = &documented["content"]["application/json"]["schema"];
                check(&doc, schema, &body, &format!("{method} {path}"))
                    .unwrap_or_else(|e| panic!("{e}\n{body:#}"));

                // The documented errors have the documented shape too.
                if security.is_some() {
                    let (status, body) = s
                        .call(method.to_uppercase().parse().unwrap(), path, None, None)
                        .await;
                    assert_eq!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "{method} {path} without a token"
                    );
                    check(
                        &doc,
                        &operation["responses"]["401"]["content"]["application/json"]["schema"],
                        &body,
                        path,
                    )
                    .unwrap();
                }
                // A method it does not document is 405.
                let res = s
                    .send(request(Method::DELETE, path, Some(TOKEN), None))
                    .await;
                assert!(
                    [StatusCode::METHOD_NOT_ALLOWED, StatusCode::UNAUTHORIZED]
                        .contains(&res.status()),
                    "DELETE {path}: {}",
                    res.status()
                );
            }
        }
        // Paths it does not document are 404.
        for path in [
            "/find-device",
            "/clearpark/",
            "/clearpark/sessions/",
            "/api/",
            "/admin",
        ] {
            let (status, body) = s.get(path, Some(TOKEN)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            check(
                &doc,
                &json!({"$ref": "#/components/schemas/Failure"}),
                &body,
                path,
            )
            .unwrap();
        }
        s.stop().await;
    }
}

//! Reading the edge's JSON (already parsed by the browser) into the engine's own types through
//! their `Deserialize`, so the widget knows no field name itself.
//!
//! A decoder of its own rather than serde-wasm-bindgen: that one writes every error as a
//! message, which brings `core::fmt` and float formatting into the widget (12.5 KB gzipped,
//! past its budget). Here an error is only "not that type": the widget then shows its neutral
//! state, and no message would ever be read.

use js_sys::{Array, Object};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use wasm_bindgen::{JsCast, JsValue};

/// `value` as a `T`, or `None` when it is not one.
pub fn from_js<T: DeserializeOwned>(value: &JsValue) -> Option<T> {
    T::deserialize(Js(value.clone())).ok()
}

/// The value is not the type asked for.
#[derive(Debug)]
pub struct Mismatch;

impl core::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("mismatch")
    }
}

impl std::error::Error for Mismatch {}

// Every constructor drops its message unformatted (serde's defaults would format it).
impl de::Error for Mismatch {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Mismatch
    }
    fn invalid_type(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Mismatch
    }
    fn invalid_value(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Mismatch
    }
    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        Mismatch
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Mismatch
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Mismatch
    }
    fn missing_field(_: &'static str) -> Self {
        Mismatch
    }
    fn duplicate_field(_: &'static str) -> Self {
        Mismatch
    }
}

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

struct Js(JsValue);

impl<'de> de::Deserializer<'de> for Js {
    type Error = Mismatch;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
        let v = self.0;
        if let Some(s) = v.as_string() {
            visitor.visit_string(s)
        } else if let Some(n) = v.as_f64() {
            // Whole numbers as integers, so that integer fields take them.
            if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
                visitor.visit_i64(n as i64)
            } else {
                visitor.visit_f64(n)
            }
        } else if let Some(b) = v.as_bool() {
            visitor.visit_bool(b)
        } else if v.is_null() || v.is_undefined() {
            visitor.visit_unit()
        } else if Array::is_array(&v) {
            let items: Array = v.unchecked_into();
            visitor.visit_seq(de::value::SeqDeserializer::new(items.iter().map(Js)))
        } else if v.is_object() {
            let entries = Object::entries(v.unchecked_ref());
            visitor.visit_map(de::value::MapDeserializer::new(entries.iter().map(|pair| {
                let pair: Array = pair.unchecked_into();
                (Js(pair.get(0)), Js(pair.get(1)))
            })))
        } else {
            Err(Mismatch)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Mismatch> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// Unit variants only (`Status`): the variant's name as a string.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Mismatch> {
        let name = self.0.as_string().ok_or(Mismatch)?;
        visitor.visit_enum(IntoDeserializer::<Mismatch>::into_deserializer(name))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Mismatch> for Js {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use lastunit::{Availability, Status, Timestamp};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::from_js;

    /// What the edge sends: the engine's type written by serde_json, parsed by the browser.
    fn sent(json: &str) -> Option<Availability> {
        from_js(&js_sys::JSON::parse(json).expect("test JSON parses"))
    }

    fn availability(status: Status, in_store_only: bool, updated_at: &str) -> Availability {
        Availability {
            sku: "TEE-M".into(),
            channel: "web".into(),
            available: 3,
            status,
            in_store_only,
            version: 9_007_199_254_740_991,
            updated_at: Timestamp::parse(updated_at).unwrap(),
        }
    }

    #[wasm_bindgen_test]
    fn reads_what_the_engine_writes() {
        for status in [Status::InStock, Status::LowStock, Status::OutOfStock] {
            for in_store_only in [false, true] {
                for at in ["2026-11-26T10:00:00Z", "2026-11-26T10:00:00.123Z"] {
                    let a = availability(status, in_store_only, at);
                    assert_eq!(sent(&serde_json::to_string(&a).unwrap()), Some(a));
                }
            }
        }
    }

    #[wasm_bindgen_test]
    fn ignores_the_push_frame_tag() {
        let a = availability(Status::LowStock, false, "2026-11-26T10:00:00Z");
        let mut frame = serde_json::to_value(&a).unwrap();
        frame["type"] = "availability".into();
        assert_eq!(sent(&frame.to_string()), Some(a));
    }

    #[wasm_bindgen_test]
    fn refuses_what_is_not_an_availability() {
        let good = serde_json::to_value(availability(Status::InStock, false, "2026-11-26T10:00:00Z")).unwrap();
        let with = |field: &str, value: serde_json::Value| {
            let mut v = good.clone();
            v[field] = value;
            v.to_string()
        };
        let without = |field: &str| {
            let mut v = good.clone();
            v.as_object_mut().unwrap().remove(field);
            v.to_string()
        };
        for bad in [
            with("available", 2.5.into()),
            with("available", "3".into()),
            with("available", (-3).into()),
            with("version", (-1).into()),
            with("status", "sold_out".into()),
            with("status", 0.into()),
            with("in_store_only", "false".into()),
            with("updated_at", "yesterday".into()),
            with("sku", serde_json::Value::Null),
            without("channel"),
            without("updated_at"),
            "null".into(),
            "[]".into(),
            "\"in_stock\"".into(),
        ] {
            assert_eq!(sent(&bad), None, "{bad}");
        }
    }
}

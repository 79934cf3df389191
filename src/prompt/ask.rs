//! The walk over the parameter pages: page by page (skipping pages whose `when` is false), each
//! page's properties in form order with the conditionals resolved after every answer, asking only
//! for what was not given (or was given and is invalid). Without a terminal every unanswered
//! question becomes a [`Problem`] and the walk goes on, so one error lists them all.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::missing::Problem;
use super::schema::{self, label_of, type_of, Ui};
use super::walker::{Question, Walker, NONE};
use super::{fields, rules, Answer, Prompt, Stop};
use crate::template::Template;

impl<'a> Walker<'a> {
    /// Walks every visible page, in order.
    pub fn pages(&mut self, template: &Template, params: &mut Map<String, Value>) -> Answer<()> {
        let count = template.pages.len();
        for (i, page) in template.pages.iter().enumerate() {
            // Pages are decided in order against the values earlier shown pages keep.
            if !crate::values::visible_pages(template, params, &self.integration_hosts)[i] {
                continue;
            }
            let title = page
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| "Please enter the following information".into());
            let title = if count > 1 {
                format!("{title} ({}/{count})", i + 1)
            } else {
                title
            };
            self.heading = Some((
                title,
                page.get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ));
            self.object(page, params, "")?;
            self.heading = None;
        }
        Ok(())
    }

    /// Walks one object schema; properties appear as earlier answers select them.
    pub fn object(
        &mut self,
        schema: &Value,
        map: &mut Map<String, Value>,
        prefix: &str,
    ) -> Answer<()> {
        let chosen = self.option(schema, map, prefix)?;
        let schema = &chosen;
        if !schema::is_conditional(schema) {
            // The answers cannot change what the schema holds: resolve it once (linear in the
            // number of properties).
            let resolved = schema::resolve(schema, map);
            let required: HashSet<&str> = resolved.required.iter().map(String::as_str).collect();
            for name in resolved.ordered() {
                let prop = resolved.properties.get(&name).unwrap_or(&Value::Null);
                self.property(&name, prop, required.contains(name.as_str()), map, prefix)?;
            }
            return Ok(());
        }
        let mut done: HashSet<String> = HashSet::new();
        loop {
            let resolved = schema::resolve(schema, map);
            let Some(name) = resolved.ordered().into_iter().find(|n| !done.contains(n)) else {
                break;
            };
            done.insert(name.clone());
            let prop = resolved
                .properties
                .get(&name)
                .cloned()
                .unwrap_or(Value::Null);
            let required = resolved.required.contains(&name);
            self.property(&name, &prop, required, map, prefix)?;
        }
        Ok(())
    }

    /// An object-level `oneOf`/`anyOf` of property sets (RJSF's option select): the branch the
    /// given values already match, else the user's choice (the first without input); the chosen
    /// branch is merged in as an `allOf` member.
    fn option(&mut self, schema: &Value, map: &Map<String, Value>, prefix: &str) -> Answer<Value> {
        let key = if schema.get("oneOf").is_some() {
            "oneOf"
        } else {
            "anyOf"
        };
        let Some(branches) = schema
            .get(key)
            .and_then(Value::as_array)
            .filter(|b| b.iter().any(|x| x.get("properties").is_some()))
        else {
            return Ok(schema.clone());
        };
        let doc = Value::Object(map.clone());
        let given = |b: &Value| {
            b.get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| p.keys().any(|k| map.contains_key(k)))
        };
        let index = match branches
            .iter()
            .position(|b| given(b) && schema::holds(b, &doc))
        {
            Some(i) => i,
            None if !self.interactive => 0,
            None => {
                self.before_question(prefix, None);
                let items: Vec<String> = branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        b.get("title")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("Option {}", i + 1))
                    })
                    .collect();
                let mut label = self.labels.clone();
                label.push("Choose one".to_string());
                let prompt = Prompt {
                    label: label.join(" › "),
                    help: schema
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    required: true,
                    ..Prompt::default()
                };
                self.p.select(&prompt, &items, 0)?
            }
        };
        let mut merged = schema.clone();
        if let Some(o) = merged.as_object_mut() {
            o.remove(key);
            let mut all = o
                .get("allOf")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            all.push(branches[index].clone());
            o.insert("allOf".into(), Value::Array(all));
        }
        Ok(merged)
    }

    fn property(
        &mut self,
        name: &str,
        prop: &Value,
        required: bool,
        map: &mut Map<String, Value>,
        prefix: &str,
    ) -> Answer<()> {
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        let ui = Ui::of(prop);
        let q = Question {
            name,
            prop,
            ui: &ui,
            required,
            path: &path,
        };
        if let Some(c) = prop.get("const") {
            map.entry(name.to_string()).or_insert_with(|| c.clone());
            return Ok(());
        }
        if ui.hidden() || ui.readonly {
            if let Some(d) = prop.get("default") {
                map.entry(name.to_string()).or_insert_with(|| d.clone());
            }
            return Ok(());
        }
        if ui.field.as_deref() == Some("Secret") {
            return self.secret_field(&q, map);
        }
        if ui.widget.as_deref() == Some("password") {
            self.masked.push(path.clone());
        }
        if type_of(prop) == "object" && prop.get("properties").is_some() && ui.field.is_none() {
            return self.nested_object(&q, map);
        }
        if type_of(prop) == "null" && !map.contains_key(name) {
            // RJSF's NullField sets `null` as soon as the field is shown; nothing to ask.
            map.insert(name.to_string(), Value::Null);
            return Ok(());
        }
        self.value(&q, map)
    }

    /// The properties of object `name`, asked under its title, over its current value and
    /// default; kept when something was answered, it was given, or it is required.
    fn nested_object(&mut self, q: &Question<'_>, map: &mut Map<String, Value>) -> Answer<()> {
        let was = map.get(q.name).cloned();
        let mut sub = match &was {
            Some(Value::Object(o)) => o.clone(),
            _ => Map::new(),
        };
        if let Some(Value::Object(d)) = q.prop.get("default") {
            for (k, v) in d {
                sub.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        self.labels.push(schema::title(q.name, q.prop));
        let r = self.object(q.prop, &mut sub, q.path);
        self.labels.pop();
        r?;
        if !sub.is_empty() || was.is_some() || q.required {
            map.insert(q.name.to_string(), Value::Object(sub));
        }
        Ok(())
    }

    /// A plain value: a valid given one is kept, a default taken where nothing need be asked,
    /// else the question is asked (or, without input, recorded as a problem).
    fn value(&mut self, q: &Question<'_>, map: &mut Map<String, Value>) -> Answer<()> {
        // An answer to change (from the review) is asked again, its old value as the default.
        let redo = self.redo.shift_remove(q.path);
        let given = map.get(q.name).cloned();
        let error = match &given {
            Some(v) => match self.validate(q.prop, q.ui, v) {
                Ok(()) => return Ok(()),
                Err(msg) => Some(msg),
            },
            None => None,
        };
        if redo.is_none() && given.is_none() && self.was_left_unset(q.path) {
            // Left without a value earlier in this run: not asked again, no default put back.
            return Ok(());
        }
        let default = q.prop.get("default").cloned();
        let not_asked = redo.is_none() && !self.ask_optional && (!q.required || default.is_some());
        if error.is_none() && not_asked {
            if let Some(d) = default {
                map.insert(q.name.to_string(), d);
            }
            return Ok(());
        }
        let given = given.or(redo.filter(|v| !v.is_null()));
        if self.interactive {
            let label = self.prompt(q, None).label;
            self.record_asked(q.path, label);
        }
        match self.ask(q, given.as_ref(), error.as_deref()) {
            Ok(Some(v)) => {
                self.record_unset(q.path, false);
                map.insert(q.name.to_string(), v);
            }
            Ok(None) => {
                self.record_unset(q.path, true);
                map.shift_remove(q.name);
            }
            Err(Stop::NoInput) => {
                self.problems
                    .push(Problem::new(q.path, q.prop, given.as_ref(), error, false))
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    fn secret_field(&mut self, q: &Question<'_>, map: &mut Map<String, Value>) -> Answer<()> {
        self.masked.push(q.path.to_string());
        self.secret_fields.push(q.name.to_string());
        let limits = length_limits(q.prop);
        if let Some(Value::String(s)) = self.secrets.get(q.name).cloned() {
            match schema::check(&limits, &Value::String(s.clone())) {
                Ok(()) => {
                    map.insert(
                        q.name.to_string(),
                        Value::String("*".repeat(s.chars().count())),
                    );
                    return Ok(());
                }
                Err(msg) => return self.ask_secret(q, map, Some(msg)),
            }
        }
        let redo = self.redo.shift_remove(q.path).is_some();
        if !q.required && (!self.ask_optional || self.was_left_unset(q.path)) && !redo {
            return Ok(());
        }
        self.ask_secret(q, map, None)
    }

    fn ask_secret(
        &mut self,
        q: &Question<'_>,
        map: &mut Map<String, Value>,
        error: Option<String>,
    ) -> Answer<()> {
        let limits = length_limits(q.prop);
        let check = move |s: &str| -> Result<(), String> {
            if s.is_empty() {
                return if q.required {
                    Err("a value is required".into())
                } else {
                    Ok(())
                };
            }
            schema::check(&limits, &Value::String(s.to_string()))
        };
        let answer = if self.interactive {
            self.before_question(q.path, error.as_deref());
            let prompt = self.prompt(q, None);
            self.record_asked(q.path, prompt.label.clone());
            self.p.secret(&prompt, &check)
        } else {
            Err(Stop::NoInput)
        };
        match answer {
            Ok(s) if s.is_empty() => self.record_unset(q.path, true),
            Ok(s) => {
                self.record_unset(q.path, false);
                map.insert(
                    q.name.to_string(),
                    Value::String("*".repeat(s.chars().count())),
                );
                self.secrets.insert(q.name.to_string(), Value::String(s));
            }
            Err(Stop::NoInput) => self
                .problems
                .push(Problem::new(q.path, q.prop, None, error, true)),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Checks a given value: its schema, then the field extension's own rule.
    pub fn validate(&self, prop: &Value, ui: &Ui, value: &Value) -> Result<(), String> {
        schema::check(prop, value)?;
        rules::check(ui.field.as_deref(), value)
    }

    fn ask(
        &mut self,
        q: &Question<'_>,
        given: Option<&Value>,
        error: Option<&str>,
    ) -> Answer<Option<Value>> {
        if !self.interactive {
            return Err(Stop::NoInput);
        }
        self.before_question(q.path, error);
        let current = given
            .filter(|_| error.is_none())
            .or(q.prop.get("default"))
            .cloned();
        if let Some(field) = q.ui.field.as_deref() {
            if let Some(answer) = fields::ask(self, field, q, current.as_ref()) {
                return answer;
            }
            self.notice_once(&format!("`{field}` (for `{}`) is a custom field golden does not know; asking for a plain {}", q.path, type_of(q.prop)));
        }
        self.plain(q, current.as_ref())
    }

    /// The plain prompt for a property's JSON type.
    pub fn plain(&mut self, q: &Question<'_>, current: Option<&Value>) -> Answer<Option<Value>> {
        if let Some(options) = q
            .prop
            .get("enum")
            .and_then(Value::as_array)
            .filter(|o| !o.is_empty())
        {
            return self.choose(q, options, enum_names(q.prop, q.ui), current);
        }
        match type_of(q.prop) {
            "boolean" if !q.required && current.is_none() => {
                // Enter leaves it unset, as --no-input does (an untouched checkbox in Backstage).
                let prompt = self.prompt(q, None);
                Ok(self.p.confirm_or_none(&prompt)?.map(Value::Bool))
            }
            "boolean" => {
                let prompt = self.prompt(q, None);
                let answer = self.p.confirm(&prompt, current.and_then(Value::as_bool))?;
                Ok(Some(Value::Bool(answer)))
            }
            "array" => self.array(q, current),
            "null" => Ok(Some(Value::Null)),
            _ if q.prop.get("format").and_then(Value::as_str) == Some("data-url") => {
                let mut prompt = self.prompt(q, None);
                prompt.add_help("the path of a file");
                let check = move |s: &str| -> Result<(), String> {
                    if s.trim().is_empty() {
                        return if q.required {
                            Err("a file is required".into())
                        } else {
                            Ok(())
                        };
                    }
                    rules::data_url(std::path::Path::new(s.trim())).map(|_| ())
                };
                let raw = self.p.text(&prompt, &check)?;
                if raw.trim().is_empty() {
                    return Ok(None);
                }
                rules::data_url(std::path::Path::new(raw.trim()))
                    .map(|d| Some(Value::String(d)))
                    .map_err(Stop::Failed)
            }
            _ => {
                let default = current.map(label_of);
                let prompt = self.prompt(q, default);
                let check = rules::typed_check(q.prop, q.required);
                let raw = match q.ui.widget.as_deref() {
                    Some("textarea") => self.p.multiline(&prompt, &check)?,
                    Some("password") => self.p.secret(&prompt, &check)?,
                    _ => self.p.text(&prompt, &check)?,
                };
                if raw.is_empty() {
                    // RJSF turns an emptied box into `ui:emptyValue` (default: no value).
                    return Ok(q.prop.get("ui:emptyValue").cloned());
                }
                Ok(Some(
                    crate::values::typed(Some(q.prop), &raw).unwrap_or(Value::String(raw)),
                ))
            }
        }
    }

    fn choose(
        &mut self,
        q: &Question<'_>,
        options: &[Value],
        names: Option<Vec<String>>,
        current: Option<&Value>,
    ) -> Answer<Option<Value>> {
        // `ui:enumDisabled` options are shown greyed out in the form and cannot be chosen.
        let disabled: Vec<Value> = q
            .prop
            .get("ui:enumDisabled")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let (options, names): (Vec<Value>, Option<Vec<String>>) = {
            let keep: Vec<usize> = (0..options.len())
                .filter(|&i| !disabled.contains(&options[i]))
                .collect();
            (
                keep.iter().map(|&i| options[i].clone()).collect(),
                names.map(|n| keep.iter().filter_map(|&i| n.get(i).cloned()).collect()),
            )
        };
        let options = options.as_slice();
        let mut items = option_labels(options, names.as_deref());
        let optional_none = !q.required && current.is_none();
        if optional_none {
            items.push(NONE.into());
        }
        // Enter keeps the current value; an optional question without one stays unset.
        let default = current
            .and_then(|c| options.iter().position(|o| o == c))
            .unwrap_or(if optional_none { items.len() - 1 } else { 0 });
        let prompt = self.prompt(q, None);
        let i = if items.len() > 12 {
            self.p.fuzzy_select(&prompt, &items, default)?
        } else {
            self.p.select(&prompt, &items, default)?
        };
        Ok(options.get(i).cloned())
    }

    fn array(&mut self, q: &Question<'_>, current: Option<&Value>) -> Answer<Option<Value>> {
        let items = q.prop.get("items").cloned().unwrap_or(Value::Null);
        if let Some(options) = items
            .get("enum")
            .and_then(Value::as_array)
            .filter(|o| !o.is_empty())
        {
            return self.checkboxes(q, current, &items, options);
        }
        if type_of(&items) == "object" && items.get("properties").is_some() {
            return self.object_list(q, current, &items);
        }
        let default = current
            .and_then(Value::as_array)
            .map(|a| a.iter().map(label_of).collect::<Vec<_>>().join(", "));
        let mut prompt = self.prompt(q, default);
        prompt.add_help("comma-separated");
        let check = rules::typed_check(q.prop, q.required);
        let raw = self.p.text(&prompt, &check)?;
        if raw.is_empty() {
            // Enter on an empty default (`default: []`) keeps it, as --no-input does.
            return Ok(current.filter(|c| c.is_array()).cloned());
        }
        Ok(crate::values::typed(Some(q.prop), &raw).ok())
    }

    /// An array of `enum` items: a multi-select, checked against the schema.
    fn checkboxes(
        &mut self,
        q: &Question<'_>,
        current: Option<&Value>,
        items: &Value,
        options: &[Value],
    ) -> Answer<Option<Value>> {
        let names = enum_names(items, &Ui::of(items));
        let labels = option_labels(options, names.as_deref());
        let chosen: Vec<Value> = current
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut checked: Vec<bool> = options.iter().map(|o| chosen.contains(o)).collect();
        loop {
            let prompt = self.prompt(q, None);
            let picked = self.p.multi_select(&prompt, &labels, &checked)?;
            let value = Value::Array(
                picked
                    .iter()
                    .filter_map(|&i| options.get(i).cloned())
                    .collect(),
            );
            if picked.is_empty() && current.is_none() && !q.required {
                return Ok(None); // nothing chosen, nothing given: unset, as --no-input
            }
            match schema::check(q.prop, &value) {
                Ok(()) => return Ok(Some(value)),
                Err(msg) => {
                    self.p.notice(&msg);
                    checked = (0..options.len()).map(|i| picked.contains(&i)).collect();
                }
            }
        }
    }

    /// An array of objects: "add an item?", then the item's questions, until no.
    fn object_list(
        &mut self,
        q: &Question<'_>,
        current: Option<&Value>,
        items: &Value,
    ) -> Answer<Option<Value>> {
        let mut list: Vec<Value> = current
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let title = schema::title(q.name, q.prop);
        loop {
            let add = Prompt {
                label: format!(
                    "Add {} item to {title}?",
                    if list.is_empty() { "an" } else { "another" }
                ),
                ..Prompt::default()
            };
            if !self.p.confirm(&add, Some(list.is_empty() && q.required))? {
                break;
            }
            let mut item = Map::new();
            self.labels.push(format!("{title} #{}", list.len() + 1));
            let r = self.object(items, &mut item, &format!("{}.{}", q.path, list.len()));
            self.labels.pop();
            r?;
            list.push(Value::Object(item));
        }
        Ok(if list.is_empty() && !q.required {
            current.filter(|c| c.is_array()).cloned()
        } else {
            Some(Value::Array(list))
        })
    }
}

fn length_limits(prop: &Value) -> Value {
    let mut s = Map::new();
    for k in ["minLength", "maxLength", "errorMessage"] {
        if let Some(v) = prop.get(k) {
            s.insert(k.into(), v.clone());
        }
    }
    Value::Object(s)
}

/// The labels of an `enum`'s options: `ui:enumNames`, else `enumNames`.
fn enum_names(schema: &Value, ui: &Ui) -> Option<Vec<String>> {
    ui.enum_names.clone().or_else(|| {
        schema
            .get("enumNames")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(label_of).collect())
    })
}

/// What the list shows for each option: its name (by position), else its value.
fn option_labels(options: &[Value], names: Option<&[String]>) -> Vec<String> {
    options
        .iter()
        .enumerate()
        .map(|(i, v)| {
            names
                .and_then(|n| n.get(i).cloned())
                .unwrap_or_else(|| label_of(v))
        })
        .collect()
}

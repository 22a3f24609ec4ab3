//! Check templates: `{{ name }}`, `{{ vars.admin }}`, `{{ app.label | lower }}`.
//!
//! Templates are parsed with Tera's parser (the syntax theme authors know), then reduced to a small tree of text,
//! variables and a short list of filters. Functions (`get_env`, `now`, ...), tags (`{% if %}`, `{% include %}`) and
//! expressions are rejected, and rendering is done here, not by Tera: a check template can read its parameters,
//! its captures and `vars`, and nothing else.

use serde_json::Value;

/// The filters a check template may use.
pub const FILTERS: &[&str] = &["lower", "upper", "trim", "length", "first", "last", "join", "default"];

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub source: String,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Var(Var),
}

/// `{{ app.label | lower }}`: a dotted variable and its filters.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    /// `["app", "label"]`
    pub path: Vec<String>,
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Lower,
    Upper,
    Trim,
    Length,
    First,
    Last,
    Join(String),
    Default(String),
}

/// Why a template was rejected; `needle` is text of the template to point at, when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub message: String,
    pub needle: Option<String>,
    pub hint: Option<String>,
}

impl TemplateError {
    fn new(message: impl Into<String>, needle: Option<&str>, hint: Option<String>) -> Self {
        TemplateError {
            message: message.into(),
            needle: needle.map(str::to_string),
            hint,
        }
    }
}

impl Template {
    /// Text with no template syntax at all.
    pub fn literal(text: &str) -> Template {
        Template {
            source: text.to_string(),
            parts: vec![Part::Text(text.to_string())],
        }
    }

    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
            return Ok(Template::literal(source));
        }
        let parsed = tera::Template::new("check", None, source).map_err(|e| {
            let mut message = e.to_string();
            if let Some(cause) = std::error::Error::source(&e) {
                message = format!("{message}: {cause}");
            }
            let message = message.replace("Failed to parse 'check': ", "").replace('\n', " ");
            let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
            TemplateError::new(
                format!("invalid template: {message}"),
                None,
                Some("write values as `{{ name }}`, `{{ vars.admin }}` or `{{ app.label | lower }}`".into()),
            )
        })?;
        let mut parts = Vec::new();
        for node in parsed.ast {
            use tera::ast::Node;
            match node {
                Node::Text(t) => parts.push(Part::Text(t)),
                Node::Comment(..) => {}
                Node::Raw(_, t, _) => parts.push(Part::Text(t)),
                Node::VariableBlock(_, expr) => parts.push(Part::Var(var(&expr)?)),
                other => {
                    let tag = tag_name(&other);
                    return Err(TemplateError::new(
                        format!("`{{% {tag} %}}` is not available in check templates"),
                        Some(tag),
                        Some("check templates print values only: `{{ name }}` with filters such as `| lower`".into()),
                    ));
                }
            }
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v),
            Part::Text(_) => None,
        })
    }

    /// A template that is one variable and nothing else: `{{ user }}`.
    pub fn single_var(&self) -> Option<&Var> {
        match self.parts.as_slice() {
            [Part::Var(v)] => Some(v),
            _ => None,
        }
    }

    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// Its text, when it holds no variable.
    pub fn literal_text(&self) -> Option<String> {
        let text = self.parts.iter().map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            Part::Var(_) => None,
        });
        text.collect::<Option<String>>()
    }

    /// Renders with every variable required: a missing one is an error naming it.
    pub fn render(&self, lookup: &Lookup<'_>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => out.push_str(&to_text(&v.eval(lookup)?)),
            }
        }
        Ok(out)
    }

    /// Renders for a message: a value that is missing prints as `(none)` rather than failing.
    pub fn render_lenient(&self, lookup: &Lookup<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => match v.eval(lookup) {
                    Ok(value) => out.push_str(&to_text(&value)),
                    Err(_) => out.push_str("(none)"),
                },
            }
        }
        out
    }
}

impl Var {
    pub fn name(&self) -> &str {
        &self.path[0]
    }

    pub fn dotted(&self) -> String {
        self.path.join(".")
    }

    /// The variable's value with its filters applied.
    pub fn eval(&self, lookup: &Lookup<'_>) -> Result<Value, String> {
        let mut value = lookup(&self.path);
        for f in &self.filters {
            if let (Filter::Default(d), None | Some(Value::Null)) = (f, &value) {
                value = Some(Value::String(d.clone()));
                continue;
            }
            value = value.map(|v| f.apply(v));
        }
        match value {
            Some(Value::Null) | None if self.path[0] == "vars" && self.path.len() > 1 => Err(format!(
                "`{}` has no value: pass `--var {}=...` or set it under [orgs.NAME.vars]",
                self.dotted(),
                self.path[1]
            )),
            Some(Value::Null) | None => Err(format!("`{}` has no value", self.dotted())),
            Some(v) => Ok(v),
        }
    }
}

impl Filter {
    fn apply(&self, v: Value) -> Value {
        match self {
            Filter::Lower => Value::String(to_text(&v).to_lowercase()),
            Filter::Upper => Value::String(to_text(&v).to_uppercase()),
            Filter::Trim => Value::String(to_text(&v).trim().to_string()),
            Filter::Length => Value::from(match &v {
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::String(s) => s.chars().count(),
                _ => 0,
            }),
            Filter::First => match v {
                Value::Array(a) => a.into_iter().next().unwrap_or(Value::Null),
                other => other,
            },
            Filter::Last => match v {
                Value::Array(a) => a.into_iter().next_back().unwrap_or(Value::Null),
                other => other,
            },
            Filter::Join(sep) => match v {
                Value::Array(a) => Value::String(a.iter().map(to_text).collect::<Vec<_>>().join(sep)),
                other => other,
            },
            Filter::Default(_) => v,
        }
    }
}

/// Where templates find values: the value at a dotted path (`["app", "label"]`, `["vars", "admin"]`), if any.
/// Given the whole path, a lookup can walk to the one value it needs and copy only that.
pub type Lookup<'a> = dyn Fn(&[String]) -> Option<Value> + 'a;

/// A field of an object, or an item of a list by its index (`roles.0.type`).
pub fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

/// A lookup by path from a lookup by name: the named value, then its fields.
pub fn by_name(f: impl Fn(&str) -> Option<Value>) -> impl Fn(&[String]) -> Option<Value> {
    move |path| {
        let root = f(&path[0])?;
        path[1..].iter().try_fold(&root, |v, k| field(v, k)).cloned()
    }
}

/// A JSON value as text: strings as they are, lists joined with `, `, objects as JSON.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(to_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A name: a parameter, a capture, a var, a field (`app_name`, `_x`).
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A dotted path to a value: a name, then fields or list indexes (`app.label`, `roles.0.type`).
pub(crate) fn is_value_path(path: &[String]) -> bool {
    let index = |p: &String| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    path.first().is_some_and(|p| is_ident(p)) && path[1..].iter().all(|p| is_ident(p) || index(p))
}

fn var(expr: &tera::ast::Expr) -> Result<Var, TemplateError> {
    use tera::ast::ExprVal;
    let path = match &expr.val {
        ExprVal::Ident(name) => {
            let path: Vec<String> = name.split('.').map(str::to_string).collect();
            if !is_value_path(&path) {
                return Err(TemplateError::new(
                    format!("`{name}` is not a variable name"),
                    Some(name),
                    Some("write a dotted name, such as `app.label`".into()),
                ));
            }
            path
        }
        ExprVal::FunctionCall(call) => {
            return Err(TemplateError::new(
                format!("unknown function `{}`: check templates have no functions", call.name),
                Some(&call.name),
                Some("a check template can print parameters, captures and `vars` only".into()),
            ));
        }
        ExprVal::MacroCall(call) => {
            return Err(TemplateError::new(
                format!(
                    "macro `{}::{}` is not available in check templates",
                    call.namespace, call.name
                ),
                Some(&call.name),
                Some("a check template can print parameters, captures and `vars` only".into()),
            ));
        }
        _ => {
            return Err(TemplateError::new(
                "only a variable may be printed in a check template",
                None,
                Some("write `{{ name }}`; expressions, literals and tests are not available".into()),
            ));
        }
    };
    if expr.negated {
        return Err(TemplateError::new(
            "`not` is not available in check templates",
            Some("not"),
            None,
        ));
    }
    let mut filters = Vec::new();
    for call in &expr.filters {
        let arg = |key: &str| -> Result<String, TemplateError> {
            let bad = || {
                TemplateError::new(
                    format!("the filter `{}` takes one argument: {key}=\"...\"", call.name),
                    Some(&call.name),
                    Some(format!("write `| {}({key}=\", \")`", call.name)),
                )
            };
            if call.args.len() != 1 {
                return Err(bad());
            }
            match call.args.get(key).map(|e| &e.val) {
                Some(ExprVal::String(s)) => Ok(s.clone()),
                _ => Err(bad()),
            }
        };
        let no_args = |f: Filter| {
            if call.args.is_empty() {
                Ok(f)
            } else {
                Err(TemplateError::new(
                    format!("the filter `{}` takes no arguments", call.name),
                    Some(&call.name),
                    None,
                ))
            }
        };
        filters.push(match call.name.as_str() {
            "lower" => no_args(Filter::Lower)?,
            "upper" => no_args(Filter::Upper)?,
            "trim" => no_args(Filter::Trim)?,
            "length" => no_args(Filter::Length)?,
            "first" => no_args(Filter::First)?,
            "last" => no_args(Filter::Last)?,
            "join" => Filter::Join(arg("sep")?),
            "default" => Filter::Default(arg("value")?),
            other => {
                let hint = match crate::diag::did_you_mean(other, FILTERS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? The filters are: {}", FILTERS.join(", ")),
                    None => format!("the filters are: {}", FILTERS.join(", ")),
                };
                return Err(TemplateError::new(
                    format!("unknown filter `{other}`"),
                    Some(other),
                    Some(hint),
                ));
            }
        });
    }
    Ok(Var { path, filters })
}

fn tag_name(node: &tera::ast::Node) -> &'static str {
    use tera::ast::Node;
    match node {
        Node::If(..) => "if",
        Node::Forloop(..) => "for",
        Node::Set(..) => "set",
        Node::Include(..) => "include",
        Node::Extends(..) => "extends",
        Node::ImportMacro(..) => "import",
        Node::MacroDefinition(..) => "macro",
        Node::Block(..) => "block",
        Node::FilterSection(..) => "filter",
        Node::Break(..) => "break",
        Node::Continue(..) => "continue",
        _ => "tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<Value> {
        match name {
            "user" => Some(Value::from("Alice@Example.com")),
            "app" => Some(serde_json::json!({ "label": "Okta Workflows", "id": "0oa1" })),
            "list" => Some(serde_json::json!(["a", "b"])),
            _ => None,
        }
    }

    #[test]
    fn renders_variables_fields_and_filters() {
        let t = Template::parse("{{ user | lower }} is not assigned to {{ app.label }} ({{ list | join(sep=\"+\") }})")
            .unwrap();
        assert_eq!(
            t.render(&by_name(lookup)).unwrap(),
            "alice@example.com is not assigned to Okta Workflows (a+b)"
        );
        let t = Template::parse("{{ missing | default(value=\"me\") }}").unwrap();
        assert_eq!(t.render(&by_name(lookup)).unwrap(), "me");
    }

    #[test]
    fn missing_values_fail_strictly_and_print_leniently() {
        let t = Template::parse("app {{ nothing.here }}").unwrap();
        assert_eq!(t.render(&by_name(lookup)).unwrap_err(), "`nothing.here` has no value");
        assert_eq!(t.render_lenient(&by_name(lookup)), "app (none)");
    }

    #[test]
    fn rejects_functions_tags_and_unknown_filters() {
        let e = Template::parse("{{ get_env(name=\"OKTA_API_TOKEN\") }}").unwrap_err();
        assert!(e.message.contains("unknown function `get_env`"), "{e:?}");
        let e = Template::parse("{% if user %}x{% endif %}").unwrap_err();
        assert!(e.message.contains("`{% if %}`"), "{e:?}");
        let e = Template::parse("{{ user | lowr }}").unwrap_err();
        assert!(e.hint.unwrap().contains("did you mean `lower`"));
        let e = Template::parse("{{ 1 + 2 }}").unwrap_err();
        assert!(e.message.contains("only a variable"), "{e:?}");
        assert!(Template::parse("{{ user ").is_err());
    }

    #[test]
    fn text_without_syntax_is_literal() {
        let t = Template::parse("Bob's {app}").unwrap();
        assert!(t.is_literal());
        assert_eq!(t.render(&by_name(lookup)).unwrap(), "Bob's {app}");
    }
}

"""The project's own lint of the Argo manifests it emits.

The CRD schema says which fields exist; it cannot say that a reference
resolves. Argo finds a broken reference only on a cluster, after
submission, and passes an unresolved ``{{…}}`` on verbatim, so every
manifest is checked here before it is written or submitted. Pure: plain
dicts (or YAML text) in, problems out.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from repro.errors import ReproError

__all__ = ["LintProblem", "ManifestLintError", "check_manifest", "lint_manifest", "lint_yaml"]

API_VERSION = "argoproj.io/v1alpha1"
# Argo copies a Workflow's name into a label (63 characters at most) and
# names a CronWorkflow's Workflows after it plus an 11-character suffix.
NAME_LIMITS = {"Workflow": 63, "CronWorkflow": 52}
LABEL_LIMIT = 63
GLOBALS = frozenset({"workflow.name", "workflow.namespace", "workflow.uid"})
TASK_RESULTS = frozenset(
    {
        "Succeeded",
        "Failed",
        "Errored",
        "Skipped",
        "Omitted",
        "Daemoned",
        "AnySucceeded",
        "AllFailed",
    }
)

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_PINNED = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")
_REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_INPUT = re.compile(r"inputs\.parameters\.([-A-Za-z0-9_]+)")
_TASK_OUTPUT = re.compile(r"tasks\.([-A-Za-z0-9_]+)\.outputs\.parameters\.([-A-Za-z0-9_]+)")
_DEPENDS_TOKEN = re.compile(r"\s*(?:(&&|\|\||[!()])|([A-Za-z][-A-Za-z0-9_]*)(?:\.([A-Za-z]+))?)")


@dataclass(frozen=True)
class LintProblem:
    """One broken rule: ``rule`` is a stable id, ``where`` a path into the document."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]"


_Problems = Iterator[LintProblem]


class ManifestLintError(ReproError, ValueError):
    """A manifest breaks lint rules; ``problems`` holds every one."""

    def __init__(self, problems: Sequence[LintProblem]) -> None:
        self.problems = tuple(problems)
        more = f" and {len(self.problems) - 1} more" if len(self.problems) > 1 else ""
        super().__init__(
            f"the Argo manifest fails lint: {self.problems[0]}{more}; fix the manifest "
            "(if repro rendered it, that is a bug in repro: please report it)"
        )


def check_manifest(doc: Mapping[str, Any]) -> None:
    """Raises ``ManifestLintError`` unless ``doc`` lints clean."""
    problems = lint_manifest(doc)
    if problems:
        raise ManifestLintError(problems)


def lint_manifest(doc: Mapping[str, Any]) -> list[LintProblem]:
    """Every problem of a Workflow or CronWorkflow dict, in document order."""
    return list(_lint_document(doc))


def lint_yaml(text: str) -> list[LintProblem]:
    """Every problem of a YAML stream of manifests; ``where`` starts with ``doc[<index>]``."""
    import yaml

    problems: list[LintProblem] = []
    documents = yaml.safe_load_all(text)
    index = 0
    while True:
        where = f"doc[{index}]"
        try:
            doc = next(documents)
        except StopIteration:
            return problems
        except yaml.YAMLError as exc:
            # The parser cannot resume after an error: the rest of the stream is lost.
            return [*problems, LintProblem("yaml", where, " ".join(str(exc).split()))]
        problems.extend(_lint_streamed(doc, where))
        index += 1


def _lint_streamed(doc: Any, where: str) -> _Problems:
    if doc is None:  # an empty document, as `---` at the end of a stream makes
        return
    if not isinstance(doc, Mapping):
        yield LintProblem("kind", where, f"is a {type(doc).__name__}, not a manifest mapping")
        return
    for problem in lint_manifest(doc):
        yield LintProblem(problem.rule, f"{where}.{problem.where}", problem.message)


# Documents


def _lint_document(doc: Mapping[str, Any]) -> _Problems:
    yield from _lint_kind(doc)
    kind = doc.get("kind")
    if kind not in NAME_LIMITS:
        return
    metadata = doc.get("metadata")
    if isinstance(metadata, Mapping):
        yield from _lint_name(metadata.get("name"), kind)
        yield from _lint_labels(metadata.get("labels"), "metadata.labels")
    else:
        yield LintProblem("shape", "metadata", "is missing or not a mapping")
    spec = doc.get("spec")
    if kind == "Workflow":
        yield from _lint_spec(spec, "spec")
    elif not isinstance(spec, Mapping):
        yield LintProblem("shape", "spec", "is missing or not a mapping")
    else:
        yield from _lint_schedules(spec)
        workflow_metadata = _mapping(spec.get("workflowMetadata"))
        yield from _lint_labels(workflow_metadata.get("labels"), "spec.workflowMetadata.labels")
        yield from _lint_spec(spec.get("workflowSpec"), "spec.workflowSpec")


def _lint_kind(doc: Mapping[str, Any]) -> _Problems:
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if api_version != API_VERSION:
        yield LintProblem("kind", "apiVersion", f"apiVersion {api_version!r} is not {API_VERSION}")
    if kind not in NAME_LIMITS:
        yield LintProblem("kind", "kind", f"kind {kind!r} is neither Workflow nor CronWorkflow")


def _lint_name(name: Any, kind: str) -> _Problems:
    limit = NAME_LIMITS[kind]
    if not isinstance(name, str) or not name:
        yield LintProblem("name", "metadata.name", f"name {name!r} is missing (never generateName)")
    elif len(name) > limit:
        message = f"{kind} name {name!r} has {len(name)} characters; Argo allows {limit}"
        yield LintProblem("name", "metadata.name", message)
    elif not _DNS_SUBDOMAIN.fullmatch(name):
        message = f"name {name!r} is not a DNS-1123 subdomain ([a-z0-9], '-', '.')"
        yield LintProblem("name", "metadata.name", message)


def _lint_schedules(spec: Mapping[str, Any]) -> _Problems:
    if "schedule" in spec:
        message = "the singular `schedule` is gone since Argo 3.6; use the `schedules` list"
        yield LintProblem("schedules", "spec.schedule", message)
    schedules = spec.get("schedules")
    if not isinstance(schedules, list) or not schedules or not all(_text(s) for s in schedules):
        message = f"schedules {schedules!r} must be a non-empty list of cron expressions"
        yield LintProblem("schedules", "spec.schedules", message)


# Labels


def _lint_labels(labels: Any, where: str) -> _Problems:
    if labels is None:
        return
    if not isinstance(labels, Mapping):
        yield LintProblem("shape", where, "is not a mapping")
        return
    for key, value in labels.items():
        path = f"{where}[{key!r}]"
        key_problem = _label_key_problem(key)
        if key_problem:
            yield LintProblem("label-key", path, f"label key {key!r} {key_problem}")
        yield from _lint_label_value(value, path)


def _label_key_problem(key: Any) -> str | None:
    if not isinstance(key, str):
        return "is not a string"
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"has prefix {prefix!r}, which is not a DNS-1123 subdomain"
    if len(name) > LABEL_LIMIT or not _LABEL_NAME.fullmatch(name):
        return f"has name {name!r}: 1 to 63 of [A-Za-z0-9-_.], alphanumeric at both ends"
    return None


def _lint_label_value(value: Any, where: str) -> _Problems:
    if not isinstance(value, str):
        yield LintProblem("label-value", where, f"label value {value!r} is not a string")
        return
    if len(value) > LABEL_LIMIT:
        message = f"label value {value!r} has {len(value)} characters; the limit is {LABEL_LIMIT}"
        yield LintProblem("label-length", where, message)
    if not _LABEL_VALUE.fullmatch(value):
        message = f"label value {value!r} may hold only [A-Za-z0-9-_.], alphanumeric at both ends"
        yield LintProblem("label-value", where, message)


# Templates


@dataclass(frozen=True)
class _Scope:
    """What a ``{{…}}`` reference may name where it stands."""

    template: str
    inputs: frozenset[str]
    task: str | None = None
    ancestors: frozenset[str] = frozenset()
    # task name -> (its template's name, that template's output parameters),
    # None where the template is missing (a template-ref problem already)
    outputs: Mapping[str, tuple[str, frozenset[str]] | None] = field(default_factory=dict)


def _lint_spec(spec: Any, where: str) -> _Problems:
    if not isinstance(spec, Mapping):
        yield LintProblem("shape", where, "is missing or not a mapping")
        return
    templates = yield from _index(spec.get("templates"), f"{where}.templates", "template")
    entrypoint = spec.get("entrypoint")
    if not isinstance(entrypoint, str) or entrypoint not in templates:
        message = f"entrypoint {entrypoint!r} names no template (templates: {_listing(templates)})"
        yield LintProblem("entrypoint", f"{where}.entrypoint", message)
    for name, template in templates.items():
        yield from _lint_template(name, template, templates, f"{where}.templates[{name}]")


def _lint_template(
    name: str, template: Mapping[str, Any], templates: Mapping[str, Any], where: str
) -> _Problems:
    yield from _lint_images(template, where)
    scope = _Scope(name, _parameter_names(template.get("inputs")))
    dag = template.get("dag")
    if dag is None:
        yield from _lint_references(template, where, scope)
        return
    if not isinstance(dag, Mapping):
        yield LintProblem("shape", f"{where}.dag", "is not a mapping")
        return
    rest = {**template, "dag": {key: value for key, value in dag.items() if key != "tasks"}}
    yield from _lint_references(rest, where, scope)
    yield from _lint_dag(dag.get("tasks"), templates, scope, f"{where}.dag.tasks")


def _lint_images(template: Mapping[str, Any], where: str) -> _Problems:
    containers = [
        (f"{where}.{key}", template[key]) for key in ("container", "script") if key in template
    ]
    for key in ("initContainers", "sidecars"):
        items = _list(template.get(key))
        containers += [(f"{where}.{key}[{_step(c, i)}]", c) for i, c in enumerate(items)]
    for path, container in containers:
        image = _mapping(container).get("image")
        if not isinstance(image, str) or not _PINNED.fullmatch(image):
            message = f"image {image!r} is not pinned by digest (<name>@sha256:<64 lowercase hex>)"
            yield LintProblem("image-pinned", f"{path}.image", message)


def _index(
    items: Any, where: str, what: str
) -> Generator[LintProblem, None, dict[str, Mapping[str, Any]]]:
    """The named entries of a list by name, flagging nameless and duplicate ones."""
    index: dict[str, Mapping[str, Any]] = {}
    if not isinstance(items, list) or not items:
        yield LintProblem("shape", where, f"must be a non-empty list of {what}s")
        return index
    for i, item in enumerate(items):
        name = _mapping(item).get("name")
        if not _text(name):
            yield LintProblem("shape", f"{where}[{i}]", f"{what} {i} has no name")
        elif name in index:
            message = f"{what} name {name!r} is used twice"
            yield LintProblem("duplicate-name", f"{where}[{i}]", message)
        else:
            index[name] = item
    return index


# Dag tasks


def _lint_dag(items: Any, templates: Mapping[str, Any], scope: _Scope, where: str) -> _Problems:
    tasks = yield from _index(items, where, "task")
    graph: dict[str, list[str]] = {}
    for name, task in tasks.items():
        path = f"{where}[{name}]"
        yield from _lint_task_template(name, task, templates, path)
        names = yield from _depends_names(task.get("depends"), f"{path}.depends")
        for missing in (n for n in names if n not in tasks):
            message = f"task {name!r} depends on {missing!r}, which is no task of this dag"
            yield LintProblem("depends-ref", f"{path}.depends", message)
        graph[name] = [n for n in names if n in tasks]
    for cycle in _cycles(graph):
        message = f"depends forms a cycle: {' -> '.join(cycle)} (each depends on the next)"
        yield LintProblem("cycle", where, message)
    outputs = {name: _outputs_of(task, templates) for name, task in tasks.items()}
    for name, task in tasks.items():
        task_scope = _Scope(scope.template, scope.inputs, name, _ancestors(name, graph), outputs)
        yield from _lint_references(task, f"{where}[{name}]", task_scope)


def _lint_task_template(
    name: str, task: Mapping[str, Any], templates: Mapping[str, Any], where: str
) -> _Problems:
    template = task.get("template")
    if "templateRef" in task:
        message = f"task {name!r} uses a templateRef; inline the template so a replay cannot change"
        yield LintProblem("template-ref", f"{where}.templateRef", message)
    elif not isinstance(template, str) or template not in templates:
        message = f"task {name!r} names template {template!r}, which does not exist"
        yield LintProblem("template-ref", f"{where}.template", f"{message} ({_listing(templates)})")


def _outputs_of(
    task: Mapping[str, Any], templates: Mapping[str, Any]
) -> tuple[str, frozenset[str]] | None:
    name = task.get("template")
    if not isinstance(name, str) or name not in templates:
        return None
    return name, _parameter_names(templates[name].get("outputs"))


def _depends_names(depends: Any, where: str) -> Generator[LintProblem, None, list[str]]:
    if depends is None:
        return []
    if not isinstance(depends, str):
        yield LintProblem("depends-syntax", where, f"depends {depends!r} is not a string")
        return []
    try:
        return _DependsParser(depends).names()
    except _DependsSyntaxError as exc:
        yield LintProblem("depends-syntax", where, f"cannot parse depends {depends!r}: {exc}")
        return []


class _DependsSyntaxError(ValueError):
    """Internal: turned into a lint problem by ``_depends_names``."""


class _DependsParser:
    """Argo's ``depends`` grammar: task names (with an optional ``.Result``)
    combined by ``&&``, ``||``, ``!`` and parentheses."""

    def __init__(self, text: str) -> None:
        self.tokens = _depends_tokens(text)
        self.position = 0
        self.found: list[str] = []

    def names(self) -> list[str]:
        self._expression()
        if self.position < len(self.tokens):
            raise _DependsSyntaxError(f"unexpected {self.tokens[self.position]!r}")
        return self.found

    def _expression(self) -> None:
        self._term()
        while self._peek() in ("&&", "||"):
            self.position += 1
            self._term()

    def _term(self) -> None:
        token = self._peek()
        self.position += 1
        if token is None or token in (")", "&&", "||"):
            raise _DependsSyntaxError(f"a task name is missing before {token or 'the end'!r}")
        if token == "!":
            self._term()
        elif token == "(":
            self._expression()
            if self._peek() != ")":
                raise _DependsSyntaxError("a '(' is never closed")
            self.position += 1
        else:
            self.found.append(token)

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None


def _depends_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while text[position:].strip():
        match = _DEPENDS_TOKEN.match(text, position)
        if match is None:
            raise _DependsSyntaxError(f"unexpected {text[position:].strip()[:20]!r}")
        operator, name, result = match.groups()
        if result is not None and result not in TASK_RESULTS:
            raise _DependsSyntaxError(f"{result!r} is not a task result ({_listing(TASK_RESULTS)})")
        tokens.append(operator or name)
        position = match.end()
    return tokens


def _cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One closed path (first node repeated last) per cycle a depth-first walk meets."""
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = [*path[path.index(node) :], node]
            if frozenset(cycle) not in seen:
                seen.add(frozenset(cycle))
                cycles.append(cycle)
            return
        if node not in done:
            for dependency in graph[node]:
                visit(dependency, [*path, node])
            done.add(node)

    for node in graph:
        visit(node, [])
    return cycles


def _ancestors(task: str, graph: Mapping[str, Sequence[str]]) -> frozenset[str]:
    seen: set[str] = set()
    stack = list(graph[task])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph[node])
    return frozenset(seen)


# References


def _lint_references(value: Any, where: str, scope: _Scope) -> _Problems:
    for path, text in _strings(value, where):
        for expression in _REFERENCE.findall(text):
            message = _resolve(expression.strip(), scope)
            if message:
                yield LintProblem("param-ref", path, message)
        rest = _REFERENCE.sub("", text)
        if "{{" in rest:
            fragment = rest[rest.index("{{") :][:40]
            yield LintProblem("param-ref", path, f"'{{{{' is never closed in {fragment!r}")


def _resolve(expression: str, scope: _Scope) -> str | None:
    """Why ``{{expression}}`` does not resolve in ``scope``; None when it does."""
    shown = "{{" + expression + "}}"
    if expression in GLOBALS:
        return None
    if match := _INPUT.fullmatch(expression):
        if match[1] in scope.inputs:
            return None
        declared = _listing(scope.inputs)
        return f"{shown}: template {scope.template!r} declares no such input ({declared})"
    if (match := _TASK_OUTPUT.fullmatch(expression)) and scope.task is not None:
        return _resolve_task_output(match[1], match[2], shown, scope)
    if match:
        return f"{shown} stands outside a dag task, where no task output is visible"
    allowed = "inputs.parameters.*, tasks.*.outputs.parameters.*, " + _listing(GLOBALS)
    return f"{shown} is not a reference repro resolves (allowed: {allowed})"


def _resolve_task_output(task: str, parameter: str, shown: str, scope: _Scope) -> str | None:
    if task not in scope.outputs:
        return f"{shown}: no task {task!r} in this dag"
    if task not in scope.ancestors:
        return f"{shown}: task {task!r} is not an ancestor of {scope.task!r} through depends"
    outputs = scope.outputs[task]
    if outputs is None:
        return None
    template, declared = outputs
    if parameter not in declared:
        listing = _listing(declared)
        return f"{shown}: template {template!r} declares no output {parameter!r} ({listing})"
    return None


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string under ``value`` with its path."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{_step(item, i)}]")


# Helpers


def _parameter_names(section: Any) -> frozenset[str]:
    parameters = _list(_mapping(section).get("parameters"))
    return frozenset(p["name"] for p in parameters if _text(_mapping(p).get("name")))


def _step(item: Any, index: int) -> str | int:
    """A list entry's path step: its name where it has one, else its index."""
    name = _mapping(item).get("name")
    return name if _text(name) else index


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"

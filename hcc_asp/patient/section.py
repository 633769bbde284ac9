"""Immutable sections of the patient file, validated by ``pydantic_core`` directly.

Why not ``pydantic.BaseModel``: the cold-start budget. A cold ``hcc-asp recommend`` must stay
within 1.5 x the import floor of its dependencies (``import clingo, yaml, click, pydantic``), and
``import pydantic`` loads only ``pydantic_core``; defining one ``BaseModel`` loads pydantic's
model-building machinery (``pydantic.main``, the schema generator, ``pydantic.types``,
``annotated_types``, the plugin loader), about 70 ms of CPU, more than the whole budget. The
validation itself is the same engine either way: each :class:`Section` subclass declares its
fields as ``Annotated[<type>, <core schema>]`` and gets a ``pydantic_core`` model schema (unknown
keys forbidden), so the error types and locations the patient messages are worded from are
pydantic's own.

A section offers the small part of the BaseModel interface the package uses: ``model_fields``
(name -> :class:`FieldInfo`, with ``alias`` and ``annotation``), ``model_fields_set``,
``model_copy(update=...)``, ``model_dump(...)``, equality, and ``Section.model_validate``.
Instances are frozen; names starting with ``_`` (private state such as the patient's
``_id_given``) may still be set, as on a frozen BaseModel.
"""

import types
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Union, get_args, get_origin

from pydantic_core import SchemaValidator, ValidationError, core_schema

__all__ = ["Alias", "FieldInfo", "Section", "literal", "strip_annotation"]


class Alias(NamedTuple):
    """Field metadata: the key the file writes for this field (``class`` for ``class_``)."""

    key: str


class FieldInfo(NamedTuple):
    """One field of a section: its type annotation and its key in the file, if not its name."""

    annotation: Any
    alias: str | None


def strip_annotation(annotation: Any) -> Any:
    """Remove ``Annotated`` and ``| None`` around a type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _none_as_empty(value: Any) -> Any:
    """Read an explicit ``null`` section as an empty one: every key in it unknown."""
    return {} if value is None else value


_MISSING = object()


class Section:
    """Base of every part of the patient file: immutable, unknown keys refused.

    A subclass declares each field as ``name: Annotated[<type>, <core schema>, ...] = default``.
    A field typed by a ``Literal`` needs no schema: its values are the choices. ``None`` as
    default makes the field nullable (unknown); a field whose type is a Section and
    that has no schema of its own is that section, read from a mapping or ``null`` (empty), and
    an empty one when absent.
    """

    # The attributes pydantic_core's model validator sets on the instances it makes.
    __slots__ = (
        "__dict__",
        "__pydantic_extra__",
        "__pydantic_fields_set__",
        "__pydantic_private__",
    )

    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    section_schema: ClassVar[core_schema.CoreSchema]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, FieldInfo] = {}
        schemas: dict[str, core_schema.ModelField] = {}
        # This class's own annotations (not inherited), as objects: no ``inspect`` import needed.
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        for name, annotation in own.items():
            if get_origin(annotation) is ClassVar:
                continue
            metadata = get_args(annotation)[1:] if get_origin(annotation) is Annotated else ()
            alias = next((item.key for item in metadata if isinstance(item, Alias)), None)
            fields[name] = FieldInfo(annotation, alias)
            schemas[name] = core_schema.model_field(
                _field_schema(annotation, metadata, cls.__dict__.get(name, _MISSING)),
                validation_alias=alias,
                serialization_alias=alias,
            )
        cls.model_fields = fields
        cls.section_schema = core_schema.model_schema(
            cls,
            core_schema.model_fields_schema(
                schemas, model_name=cls.__name__, extra_behavior="forbid"
            ),
            config=core_schema.CoreConfig(title=cls.__name__, extra_fields_behavior="forbid"),
        )

    @classmethod
    def _validator(cls) -> SchemaValidator:
        """The compiled validator of this section, built on first use."""
        validator = cls.__dict__.get("_compiled")
        if validator is None:
            validator = SchemaValidator(cls.section_schema)
            type.__setattr__(cls, "_compiled", validator)
        return validator

    @classmethod
    def model_validate(cls, data: Any, context: dict[str, Any] | None = None) -> Any:
        """Validate plain data into this section; raises ``pydantic_core.ValidationError``."""
        return cls._validator().validate_python(data, context=context)

    def __init__(self, **data: Any) -> None:
        """Validate keyword data (by the file's keys) into this new instance."""
        type(self)._validator().validate_python(data, self_instance=self)

    @property
    def model_fields_set(self) -> set[str]:
        """The names of the fields the data gave (explicit ``null`` included)."""
        fields_set: set[str] = object.__getattribute__(self, "__pydantic_fields_set__")
        return fields_set

    def model_copy(self, update: dict[str, Any] | None = None) -> Any:
        """Return a copy with ``update`` (field name -> value) applied, unvalidated."""
        copy = object.__new__(type(self))
        object.__setattr__(copy, "__dict__", {**self.__dict__, **(update or {})})
        object.__setattr__(
            copy, "__pydantic_fields_set__", self.model_fields_set | set(update or {})
        )
        object.__setattr__(copy, "__pydantic_extra__", None)
        private = getattr(self, "__pydantic_private__", None)
        object.__setattr__(copy, "__pydantic_private__", dict(private) if private else None)
        return copy

    def model_dump(
        self, *, by_alias: bool = False, exclude_none: bool = False, mode: str = "python"
    ) -> dict[str, Any]:
        """Return the fields as plain data, sections and lists of sections recursed."""

        def plain(value: Any) -> Any:
            if isinstance(value, Section):
                return value.model_dump(by_alias=by_alias, exclude_none=exclude_none, mode=mode)
            if isinstance(value, list):
                return [plain(item) for item in value]
            return value

        data: dict[str, Any] = {}
        for name, field in self.model_fields.items():
            value = self.__dict__[name]
            if value is None and exclude_none:
                continue
            data[(field.alias or name) if by_alias else name] = plain(value)
        return data

    def _private_state(self) -> Any:
        """What equality compares beyond the fields (subclasses with private state extend it)."""
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse to change a field (as a frozen BaseModel: a ``frozen_instance`` error)."""
        if not name.startswith("_"):
            raise ValidationError.from_exception_data(
                type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": value}]
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Section)
        return self.__dict__ == other.__dict__ and self._private_state() == other._private_state()

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__[name]!r}" for name in self.model_fields)
        return f"{type(self).__name__}({shown})"


def _field_schema(annotation: Any, metadata: tuple[Any, ...], default: Any) -> Any:
    """The core schema of one field: its own schema, nullable with its default, or a section.

    A field typed by a ``Literal`` (``Ascites | None``) needs no schema of its own: its choices are
    the type's values.
    """
    schema = next((item for item in metadata if isinstance(item, dict)), None)
    if schema is None and get_origin(strip_annotation(annotation)) is Literal:
        schema = literal(strip_annotation(annotation))  # the choices, read from the type itself
    if schema is None:
        section = strip_annotation(annotation)
        if not (isinstance(section, type) and issubclass(section, Section)):
            raise TypeError(f"field of type {annotation!r} needs a core schema")
        return core_schema.with_default_schema(
            core_schema.no_info_before_validator_function(_none_as_empty, section.section_schema),
            default_factory=section,
        )
    if default is None:
        return core_schema.with_default_schema(core_schema.nullable_schema(schema), default=None)
    if default is _MISSING:
        return schema
    return core_schema.with_default_schema(schema, default=default)


def literal(annotation: Any) -> Any:
    """The core schema of one of the values of a ``Literal`` type."""
    return core_schema.literal_schema(list(get_args(annotation)))

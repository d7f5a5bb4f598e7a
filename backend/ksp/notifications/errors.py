from __future__ import annotations

from ksp.core.errors import InvalidInput


class UnknownTemplate(InvalidInput):
    code = "notification_unknown_template"
    message_id = "Templat pemberitahuan {template!r} tidak dikenal."
    message_en = "Unknown notification template {template!r}."


class TemplateParamsInvalid(InvalidInput):
    code = "notification_params_invalid"
    message_id = "Isian templat {template!r} tidak valid: {reason_id}."
    message_en = "Parameters of template {template!r} are invalid: {reason_en}."

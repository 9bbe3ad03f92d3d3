"""Request bodies of the API (unknown fields are refused)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteBody(Body):
    note: str = Field("", max_length=4000)


class RejectBody(NoteBody):
    reason: str = Field(
        description="not_public_service, duplicate, cannot_verify, already_handled or other"
    )


class MergeBody(NoteBody):
    into: int = Field(description="the surviving clue")


class PostsBody(NoteBody):
    posts: list[int] = Field(min_length=1, description="post ids of the clue")


class EditBody(NoteBody):
    category: str | None = None
    item_code: str | None = None
    department: str | None = None
    district: str | None = None
    street: str | None = None
    road: str | None = None
    community: str | None = None
    landmark: str | None = None
    region: str | None = Field(
        None, description='another city and county, e.g. "K市/K6县"; "-" for none'
    )
    urgent: bool | None = None


class ClaimNextBody(Body):
    category: str | None = None
    district: str | None = None
    urgent: bool = False


class DispatchBody(NoteBody):
    department: str | None = Field(None, description="re-route to this department")


class RequiredNoteBody(Body):
    note: str = Field(max_length=4000)


class CloseBody(NoteBody):
    satisfied: bool


class ReasonBody(Body):
    reason: str = Field(max_length=4000)


class ReturnBody(ReasonBody):
    to_department: str | None = None


class SupervisionNoteBody(Body):
    text: str = Field(max_length=4000)


class UserBody(Body):
    name: str
    role: str
    password: str


class RoleBody(Body):
    role: str


class PasswordBody(Body):
    password: str


class ActiveBody(Body):
    active: bool


class TokenBody(Body):
    name: str = Field(max_length=64)

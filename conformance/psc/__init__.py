"""Pro Santé Connect relying-party checks: pure functions over the PSC mock's recorded exchanges."""

from .checks import (
    DEFECT_REQUIREMENTS,
    RECORDED,
    ExpectedProfessional,
    FollowUpRun,
    LoginRun,
    check_expired_access,
    check_logout,
    check_recorded,
    check_refused,
    check_rotation,
    check_session,
    check_vihf_professional,
)
from .vihf import vihf_identity

__all__ = [
    "DEFECT_REQUIREMENTS",
    "RECORDED",
    "ExpectedProfessional",
    "FollowUpRun",
    "LoginRun",
    "check_expired_access",
    "check_logout",
    "check_recorded",
    "check_refused",
    "check_rotation",
    "check_session",
    "check_vihf_professional",
    "vihf_identity",
]

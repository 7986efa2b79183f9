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
from .exchanges import (
    check_authorize,
    check_client_authentication,
    check_code_grants,
    check_exchanges,
    check_logout_request,
    check_token_lifecycle,
    check_userinfo_request,
    judge_exchanges,
)
from .vihf import vihf_identity

__all__ = [
    "DEFECT_REQUIREMENTS",
    "RECORDED",
    "ExpectedProfessional",
    "FollowUpRun",
    "LoginRun",
    "check_authorize",
    "check_client_authentication",
    "check_code_grants",
    "check_exchanges",
    "check_expired_access",
    "check_logout",
    "check_logout_request",
    "check_recorded",
    "check_refused",
    "check_rotation",
    "check_session",
    "check_token_lifecycle",
    "check_userinfo_request",
    "check_vihf_professional",
    "judge_exchanges",
    "vihf_identity",
]

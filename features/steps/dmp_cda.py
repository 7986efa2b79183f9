"""Steps of the CDA feature: one generic step per TestContenuCDA-like layer."""

from functools import lru_cache

from pytest_bdd import parsers, then

from dui_conformance.cda import CdaContext, check_layer


@lru_cache(maxsize=4)
def _context(value_sets: str | None, referential: str | None, profile: str) -> CdaContext:
    """Built once per process: value sets load and official schematrons compile only once."""
    return CdaContext.build(
        value_set_dir=value_sets, referential_dir=referential, referential_required=profile == "homologation"
    )


@then(parsers.parse("la couche « {layer} » est conforme"))
def layer_conforms(layer, document, settings, verdict):
    context = _context(settings.value_sets, settings.referential_cda, settings.profile)
    verdict.judge(check_layer(document, layer, context))

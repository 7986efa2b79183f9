"""Steps shared by every offline feature: which document, and can it be read safely."""

from pytest_bdd import given, then

from conformance.documents import check_no_doctype, check_readable


@given("un document exporté par le DUI", target_fixture="doc")
def exported(document):
    return document


@then("son type est reconnu et son contenu est bien formé dans l'encodage déclaré")
def readable(doc, verdict):
    verdict.judge(check_readable(doc))


@then("il ne porte ni DOCTYPE ni déclaration d'entité")
def no_doctype(doc, verdict):
    verdict.judge(check_no_doctype(doc))

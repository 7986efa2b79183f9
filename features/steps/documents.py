"""Steps shared by every offline feature: which document, and can it be read safely.

Offline steps take the ``document`` fixture directly rather than passing values through
``target_fixture``: pytest-bdd registers a new fixture per injection and, on pytest < 9.1,
never removes it, which makes a run over thousands of documents quadratic.
"""

from pytest_bdd import given, then

from dui_conformance.documents import check_no_doctype, check_readable


@given("un document exporté par le DUI")
def exported(document):
    """The plugin's ``document`` fixture loads the file of this scenario run."""


@then("son type est reconnu et son contenu est bien formé dans l'encodage déclaré")
def readable(document, verdict):
    verdict.judge(check_readable(document))


@then("il ne porte ni DOCTYPE ni déclaration d'entité")
def no_doctype(document, verdict):
    verdict.judge(check_no_doctype(document))

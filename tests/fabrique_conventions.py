"""Factories of the conventions domain, mixed into `tests.factories.Fabrique`."""


class FabriqueConventions:
    pass

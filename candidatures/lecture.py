"""Every read of the candidatures domain shared by pages, API and the later domains: who may see which dossier
or structure, the dossier lists, the addresses of a structure."""


def membres_actifs(structure):
    return [m for m in structure.membres if m.rattachement_valide and m.actif]


def destinataires(structure):
    """The structure's accepted, active members and its contact address."""
    adresses = [m.email for m in membres_actifs(structure)]
    if structure.contact_courriel and structure.contact_courriel.lower() not in {a.lower() for a in adresses}:
        adresses.append(structure.contact_courriel)
    return adresses

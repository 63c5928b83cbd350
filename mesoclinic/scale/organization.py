"""The organization of a seeded chain: sites, staff of every role, licences, opening
hours and the consent template."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils.text import slugify

from mesoclinic.accounts.models import ClinicalLicence, LicenceType, Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.plans.models import ConsentTemplate
from mesoclinic.scale import names
from mesoclinic.scale.ids import uid
from mesoclinic.scheduling.models import SiteHours
from mesoclinic.tenancy import acting_for

PATIENTS_PER_SITE = 5000
# Staff at each site: role and head count.
PER_SITE = [(Role.PRACTITIONER, 3), (Role.ESTHETICIAN, 3), (Role.RECEPTION, 2)]


@dataclass
class Org:
    org: Organization
    sites: list[Site]
    owner: User
    practitioners: dict[int, list[int]]  # site index -> [user ids]
    estheticians: dict[int, list[int]]
    reception: dict[int, list[int]]
    consent_template_id: int
    staff: list[User] = field(default_factory=list)


def _has_public_id(model: type[models.Model]) -> bool:
    return any(f.name == "public_id" for f in model._meta.fields)


def _sites(org: Organization, count: int) -> list[Site]:
    return Site.all_orgs.bulk_create(
        [
            Site(
                organization=org,
                name=f"{names.CITIES[i % len(names.CITIES)]} {i + 1}",
                address=f"{i + 1} {names.STREETS[i % len(names.STREETS)]}",
                phone=f"+1 555 1{i:03d}",
                time_zone="UTC",
            )
            for i in range(count)
        ]
    )


def _staff(
    rng: random.Random, org: Organization, name: str, nsites: int, password: str
) -> list[User]:
    """The owner first, then each site's staff, with emails naming role and site."""
    hashed = make_password(password)
    domain = f"{slugify(name)}.scale.clinic"
    users = [
        User(
            email=f"owner@{domain}",
            full_name="Owen Owner",
            organization=org,
            role=Role.OWNER,
            password=hashed,
        )
    ]
    for i in range(nsites):
        for role, count in PER_SITE:
            for k in range(count):
                first = rng.choice(names.FIRST_F + names.FIRST_M)
                users.append(
                    User(
                        email=f"{role}-{i + 1:02d}-{k + 1}@{domain}",
                        full_name=f"{first} {rng.choice(names.LAST)}",
                        organization=org,
                        role=role,
                        password=hashed,
                    )
                )
    User.objects.bulk_create(users)
    return list(User.objects.filter(organization=org).order_by("id"))


def _assign(users: list[User], sites: list[Site]) -> dict[str, dict[int, list[int]]]:
    """Each user's site (the owner: every site); user ids by role and site index."""
    through = User.sites.through
    links = [through(user_id=users[0].pk, site_id=s.pk) for s in sites]
    by_role: dict[str, dict[int, list[int]]] = {r: {} for r, _ in PER_SITE}
    for user in users[1:]:
        site_index = int(user.email.split("-")[1]) - 1
        by_role[user.role].setdefault(site_index, []).append(user.pk)
        links.append(through(user_id=user.pk, site_id=sites[site_index].pk))
    through.objects.bulk_create(links)
    return by_role


def _licences(org: Organization, owner: User, practitioners: dict[int, list[int]]) -> None:
    # The practitioners are licensed physicians, so the sign-off benchmark may sign (§7).
    expires_on = dt.date.today() + dt.timedelta(days=730)
    ClinicalLicence.all_orgs.bulk_create(
        ClinicalLicence(
            organization=org,
            user_id=pk,
            licence_type=LicenceType.PHYSICIAN,
            number=f"SCALE-{pk}",
            jurisdiction="Medical Council",
            expires_on=expires_on,
            recorded_by=owner,
        )
        for pks in practitioners.values()
        for pk in pks
    )


def _opening_hours(rng: random.Random, org: Organization, name: str, sites: list[Site]) -> None:
    salt = int.from_bytes(hashlib.sha256(name.encode()).digest()[:16], "big")
    hours = [
        SiteHours(
            organization=org,
            site=site,
            weekday=day,
            opens=dt.time(8),
            closes=dt.time(20),
            **({"public_id": uuid.UUID(uid(rng, salt))} if _has_public_id(SiteHours) else {}),
        )
        for site in sites
        for day in range(6)  # Monday to Saturday
    ]
    SiteHours.all_orgs.bulk_create(hours)


def create_organization(rng: random.Random, name: str, patients: int, password: str) -> Org:
    if Organization.objects.filter(name=name).exists():
        raise ValueError(f"{name!r} already exists: seed a fresh database")
    org = Organization.objects.create(name=name, currency="EUR", tax_rate=0)
    nsites = max(2, patients // PATIENTS_PER_SITE)
    sites = _sites(org, nsites)
    users = _staff(rng, org, name, nsites, password)
    by_role = _assign(users, sites)
    _licences(org, users[0], by_role[Role.PRACTITIONER])
    _opening_hours(rng, org, name, sites)
    with acting_for(org):
        template = ConsentTemplate.objects.create(
            version=1,
            introduction="Mesotherapy is a series of small injections into the skin.",
            alternatives="No treatment; diet and exercise; other procedures.",
            withdrawal="You may stop the course at any time.",
            created_by=users[0],
        )
    return Org(
        org=org,
        sites=sites,
        owner=users[0],
        practitioners=by_role[Role.PRACTITIONER],
        estheticians=by_role[Role.ESTHETICIAN],
        reception=by_role[Role.RECEPTION],
        consent_template_id=template.pk,
        staff=users,
    )

"""The price list in force and course packages: reading what the clinic charges, a
patient's packages with what is left of each, and selling one through the desk's form
and `payments.packages.sell` (its rules, its invoice, its double-submit guard, its audit).

Everyone on staff reads the price list, as on its page; whoever bills (owners,
practitioners, reception) reads and sells packages. A package names a course and its
sessions, never doses or notes, so nothing here is clinical.
"""

from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

from ninja import Header, Query, Router, Status

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import (
    NO_KEY,
    Refused,
    as_form_data,
    body_doc,
    form_refused,
    parse,
    read_body,
    refused,
    submission_key,
)
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import prices
from mesoclinic.billing.price_forms import PriceListForm
from mesoclinic.patients.access import get_patient
from mesoclinic.payments import forms, ledger, packages
from mesoclinic.payments.access import get_package
from mesoclinic.payments.models import PackageSale
from mesoclinic.scheduling.models import TreatmentType

prices_router = Router(tags=["price list"])
packages_router = Router(tags=["packages"])

SORTS = {"oldest": ("sold_at", "pk"), "newest": ("-sold_at", "-pk")}
NO_PRICE_LIST = "The clinic has no price list yet: an owner saves one on the prices page."


class PackageParams(cursor.PageParams):
    patient: UUID
    sort: Literal["oldest", "newest"] = "oldest"


def _name(kind: Mapping[str, Any], slug: str) -> str:
    found = kind.get(slug)
    return found.name if found is not None else slug


@prices_router.get("", response={200: d.PriceListOut, 403: s.Error})
def price_list(request: AuthedRequest) -> dict[str, Any]:
    """The version in force, as its page shows it. Before an owner saves the first,
    `version` is null and every list empty: nothing has a price yet."""
    require(request, roles.VIEW_PRICES)
    return _price_list_out(request, prices.current())


def _price_list_out(request: AuthedRequest, book: prices.PriceBook | None) -> dict[str, Any]:
    if book is None:
        return {
            "version": None,
            "currency": request.user.organization.currency,
            **dict.fromkeys(("saved_at", "saved_by", "consultation", "numbing")),
            **{"areas": [], "products": [], "packages": []},
        }
    ref = rules.load_reference()
    types = {t.pk: t for t in TreatmentType.objects.all()}
    priced = book.price_list
    return {
        "version": priced.version,
        "currency": priced.currency,
        "saved_at": priced.created_at,
        "saved_by": priced.created_by.full_name,
        "consultation": priced.consultation,
        "numbing": priced.numbing,
        "areas": [
            {
                "area": slug,
                "area_name": _name(ref.areas, slug),
                "treatment_type": (
                    {"id": types[type_id].public_id, "name": types[type_id].name}
                    if type_id is not None
                    else None
                ),
                "amount": amount,
            }
            for (slug, type_id), amount in sorted(book.areas.items(), key=lambda a: str(a[0]))
        ],
        "products": [
            {"product": slug, "product_name": _name(ref.products, slug), "amount": amount}
            for slug, amount in sorted(book.products.items())
        ],
        "packages": [
            {
                "index": index,
                "name": p.name,
                "protocol": p.protocol,
                "protocol_name": _name(ref.protocols, p.protocol),
                "sessions": p.sessions,
                "amount": p.amount,
            }
            for index, p in enumerate(book.packages)
        ],
    }


def _price_form_data(
    body: d.PriceListIn, offered: list[TreatmentType]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body as the prices page's form would post it, and each form field's name in
    the body (for the refusal); an unknown area, product or treatment type is refused
    here, as the page offers only known ones."""
    ref = rules.load_reference()
    types = {t.public_id: t.pk for t in offered}
    data: dict[str, Any] = {
        "currency": body.currency,
        "consultation": body.consultation,
        "numbing": body.numbing,
    }
    names: dict[str, str] = {}
    for i, area in enumerate(body.areas):
        if area.area not in ref.areas:
            raise Refused(f"No area has the code {area.area!r}.", f"areas.{i}.area")
        if area.treatment_type is not None and area.treatment_type not in types:
            raise Refused("No such treatment type.", f"areas.{i}.treatment_type")
        type_id = types[area.treatment_type] if area.treatment_type else None
        key = f"area__{area.area}__{type_id or 'any'}"
        data[key], names[key] = area.amount, f"areas.{i}.amount"
    for i, product in enumerate(body.products):
        if product.product not in ref.products:
            raise Refused(f"No product has the code {product.product!r}.", f"products.{i}.product")
        key = f"product__{product.product}"
        data[key], names[key] = product.amount, f"products.{i}.amount"
    for i, package in enumerate(body.packages):
        for part in ("name", "protocol", "sessions", "amount"):
            key = f"package_{i}_{part}"
            data[key], names[key] = getattr(package, part), f"packages.{i}.{part}"
    return data, names


@prices_router.post(
    "",
    response={201: d.PriceListOut, 400: d.FieldErrors, 403: s.Error, 409: d.FieldErrors},
    summary="Save a new price list version",
    openapi_extra=body_doc(d.PriceListIn),
)
def save_price_list(request: AuthedRequest) -> Any:
    """An owner saves the whole price list as the next version, checked by the prices
    page's form; earlier versions stay as they were (quotes and invoices name theirs).
    Send the version read: a list saved since is a 409, so a retry saves nothing twice."""
    require(request, roles.MANAGE_PRICES, Scope.WRITE)
    body = read_body(request, d.PriceListIn)
    book = prices.current()
    now = book.price_list.version if book else None
    if body.version != now:
        message = (
            f"The price list is now version {now}: read it again."
            if now
            else ("No price list is saved yet: send version null.")
        )
        return refused(message, "version", status=409)
    offered = list(TreatmentType.objects.filter(active=True).order_by("name"))
    data, names = _price_form_data(body, offered)
    form = PriceListForm(
        as_form_data(data),
        book=book,
        types=offered,
        default_currency=request.user.organization.currency,
        package_slots=len(body.packages),
    )
    if not form.is_valid():
        errors = {names.get(k, k): [str(m) for m in v] for k, v in form.errors.items()}
        first = next(iter(errors.values()))[0]
        return Status(400, {"detail": first, "errors": errors})
    saved = prices.save_version(request.user, form.prices())
    return Status(201, _price_list_out(request, prices.book_of(saved)))


def _package(package: PackageSale) -> dict[str, Any]:
    used = package.used  # type: ignore[attr-defined]
    spent = package.spent  # type: ignore[attr-defined]
    return {
        "id": package.public_id,
        "patient": package.patient.public_id,
        "site": package.site.public_id,
        "invoice": package.invoice.public_id if package.invoice else None,
        "name": package.name,
        "protocol": package.protocol,
        "protocol_name": _name(rules.load_reference().protocols, package.protocol),
        "sessions": package.sessions,
        "sessions_used": used,
        "sessions_left": package.sessions - used,
        "price": package.price,
        "currency": package.currency,
        "unused_value": package.price - spent,
        "sold_by": package.sold_by.full_name,
        "sold_at": package.sold_at,
    }


@packages_router.get("", response={200: d.PackagePage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_packages(request: AuthedRequest, params: Query[PackageParams]) -> dict[str, Any]:
    """A patient's course packages (required: `patient`), with sessions and value left."""
    require(request, roles.BILLING)
    patient = get_patient(params.patient)
    rows = ledger.packages_of_all().filter(patient=patient)
    found, after = cursor.page(rows, SORTS[params.sort], params)
    record(request.user, Action.VIEW, patient, fields=["packages"], detail="api packages")
    return {"results": [_package(p) for p in found], "next": after}


@packages_router.get("/{uuid:package_id}", response={200: d.PackageOut, 403: s.Error, 404: s.Error})
def package_detail(request: AuthedRequest, package_id: UUID) -> dict[str, Any]:
    require(request, roles.BILLING)
    package = get_package(package_id)
    record(request.user, Action.VIEW, package, detail="api")
    return _package(package)


@packages_router.post(
    "",
    response={
        200: d.PackageOut,
        201: d.PackageOut,
        400: d.FieldErrors,
        403: s.Error,
        404: s.Error,
        409: d.FieldErrors,
    },
    summary="Sell a course package",
    openapi_extra=body_doc(d.PackageSaleIn),
)
def sell_package(
    request: AuthedRequest,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Status[Any]:
    """Sell a package of the price list in force, as the desk's page does: it issues the
    package's invoice unless `invoice` already charges it. Once per Idempotency-Key: the
    same key again answers 200 with the package first sold (201) and sells nothing."""
    require(request, roles.BILLING, Scope.WRITE)
    body = parse(request, d.PackageSaleIn)
    if isinstance(body, Status):
        return body
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    patient = get_patient(body.patient)
    if (done := PackageSale.objects.filter(submission_key=key).first()) is not None:
        return Status(200, _package(get_package(done.public_id)))
    book = prices.current()
    if book is None:
        return refused(NO_PRICE_LIST, "package")
    if body.price_list_version != book.price_list.version:
        message = (
            f"The price list is now version {book.price_list.version}: "
            "read it again and choose the package again."
        )
        return refused(message, "price_list_version", status=409)
    if body.package >= len(book.packages):
        return refused(
            f"Version {book.price_list.version} has no package {body.package}.", "package"
        )
    form = forms.SellPackageForm(
        as_form_data(
            {
                "package": f"{book.price_list.version}-{body.package}",
                "invoice": body.invoice,
                "site": body.site,
                "submission_key": key,
            }
        ),
        patient=patient,
        book=book,
        site=None,
    )
    if not form.is_valid():
        return form_refused(form)
    data = form.cleaned_data
    chosen = data["package"]
    sold = packages.sell(
        request.user,
        patient,
        site=data["site"],
        name=chosen.name,
        protocol=chosen.protocol,
        sessions=chosen.sessions,
        price=chosen.amount,
        invoice=data["invoice"],
        bill=True,
        submission_key=key,
    )
    return Status(201, _package(get_package(sold.public_id)))

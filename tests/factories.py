"""factory-boy factories for the core records; later packages add their own next to them."""

from __future__ import annotations

import factory

from shahrvand.core.models import City, District, RoleGrant, User


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    name = "بجنورد"
    name_en = "Bojnurd"
    slug = "bojnurd"
    province = "خراسان شمالی"
    legal_id = "10380284790"
    company_code = "217"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("city", "number")

    city = factory.SubFactory(CityFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda d: f"منطقه {d.number}")
    slug = factory.LazyAttribute(lambda d: f"{d.city.slug}-{d.number}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "کاربر"
    last_name = "آزمایشی"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-1405")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_staff(role: str, district: District | None, *, city: City | None = None, **kwargs: object) -> User:
    """A user holding ``role`` in ``district`` (city-wide when ``district`` is None)."""
    user = UserFactory(**kwargs)
    RoleGrant.objects.create(
        user=user, role=role, city=city or (district.city if district else None), district=district
    )
    return user

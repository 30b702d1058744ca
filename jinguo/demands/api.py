"""The REST API of supply and demand: each part registers its viewsets on the /api/v1/ router."""

from . import api_care, api_delivery, api_dispatch, api_needs


def register(router) -> None:
    for part in (api_needs, api_dispatch, api_delivery, api_care):
        part.register(router)

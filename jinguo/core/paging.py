"""Pagination that stays fast on a million rows: the total is counted up to a cap, then shown as "N+"."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        # COUNT(*) over a subquery with LIMIT stops reading at the cap instead of scanning everything; without the
        # ORDER BY, PostgreSQL need not sort the rows it is only counting.
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_display(self) -> str:
        return f"{self.cap}+" if self.capped else str(self.count)

    @property
    def num_pages_display(self) -> str:
        return f"{self.num_pages}+" if self.capped else str(self.num_pages)


def paginate(request, queryset, per_page: int = 20):
    paginator = CappedPaginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))

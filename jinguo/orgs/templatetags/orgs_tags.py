from django import template

register = template.Library()


@register.inclusion_tag("includes/scope_bar.html", takes_context=True)
def scope_bar(context):
    from jinguo.orgs.selectors import scope_summary

    return {"summary": scope_summary(context["request"].user)}


@register.inclusion_tag("includes/breadcrumb.html")
def org_breadcrumb(node, link_last=False):
    return {"crumbs": node.breadcrumb(), "link_last": link_last}

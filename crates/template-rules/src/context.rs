//! What the checks of one evaluation share: the template, the view of each
//! resource, one resolver (whose allowance is the template's), and the
//! analyses several rules read, each worked out once, when first asked for.

use std::cell::{Cell, OnceCell};

use cfn_template::Template;
use cfn_template::resolve::{Resolver, Unknown};
use cfn_template::view::ResourceView;

use crate::ingress;
use crate::render::{MAX_RENDERED, render_capped};

/// One template, as every check of one evaluation sees it.
pub struct TemplateContext<'v> {
    template: &'v Template<'v>,
    views: &'v [ResourceView<'v>],
    resolver: Resolver<'v>,
    ingress: OnceCell<ingress::Analysis<'v>>,
    /// Each resource's text for regex rules, by index.
    renderings: Vec<OnceCell<Result<String, Unknown>>>,
    /// Bytes rendered so far, against [`MAX_RENDERED`].
    rendered: Cell<usize>,
}

impl<'v> TemplateContext<'v> {
    /// The context of `template`, whose resources' views are `views`.
    pub fn new(template: &'v Template<'v>, views: &'v [ResourceView<'v>]) -> Self {
        TemplateContext {
            template,
            views,
            resolver: template.resolver(),
            ingress: OnceCell::new(),
            renderings: (0..template.resources.len())
                .map(|_| OnceCell::new())
                .collect(),
            rendered: Cell::new(0),
        }
    }

    /// The template.
    pub fn template(&self) -> &'v Template<'v> {
        self.template
    }

    /// Each resource's view, in the template's order.
    pub fn views(&self) -> &'v [ResourceView<'v>] {
        self.views
    }

    /// The resolver every check shares.
    pub fn resolver(&self) -> &Resolver<'v> {
        &self.resolver
    }

    /// What the template's security groups admit.
    pub(crate) fn ingress(&self) -> &ingress::Analysis<'v> {
        self.ingress
            .get_or_init(|| ingress::Analysis::new(self.template, self.views, &self.resolver))
    }

    /// The text regex rules look at for resource `index`, within what one
    /// evaluation may render.
    pub(crate) fn rendering(&self, index: usize) -> &Result<String, Unknown> {
        self.renderings[index].get_or_init(|| {
            let cap = MAX_RENDERED.saturating_sub(self.rendered.get());
            match render_capped(&self.template.resources[index].body, cap) {
                Some(text) => {
                    self.rendered.set(self.rendered.get() + text.len());
                    Ok(text)
                }
                None => {
                    self.rendered.set(MAX_RENDERED);
                    Err(Unknown::new(format!(
                        "the resource's text, which with the template's other resources is more than {MAX_RENDERED} bytes once YAML aliases are written out"
                    )))
                }
            }
        })
    }
}

//! What the checks of one evaluation share: the template, the view of each
//! resource, one resolver (whose allowance is the template's), the work
//! the other native steps may take, the caller's [`Budget`], and the
//! analyses several rules read, each worked out once, when first asked for.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use cfn_template::Template;
use cfn_template::resolve::{Resolver, Unknown};
use cfn_template::view::ResourceView;

use crate::budget::{Budget, Work};
use crate::ingress;
use crate::render::{MAX_RENDERED, render_capped};

/// Steps of native work (other than resolving values, which has its own
/// allowance) one evaluation may take: the unions of ingress sources of
/// every group, for every rule. Seconds of work at most.
pub(crate) const MAX_WORK: usize = 8_000_000;

/// A resource's text for regex rules, or why it is not known.
pub(crate) type Rendering = Rc<Result<String, Unknown>>;

/// One template, as every check of one evaluation sees it.
pub struct TemplateContext<'v> {
    template: &'v Template<'v>,
    views: &'v [ResourceView<'v>],
    resolver: Resolver<'v>,
    /// Set when the resolver found the budget spent.
    resolver_stopped: Rc<Cell<bool>>,
    work: Work,
    ingress: OnceCell<ingress::Analysis<'v>>,
    /// The text regex rules look at, of the last resource asked about
    /// (rules look at one resource after another: one is kept at a time).
    rendering: RefCell<Option<(usize, Rendering)>>,
    /// Bytes rendered so far, against [`MAX_RENDERED`].
    rendered: Cell<usize>,
}

impl<'v> TemplateContext<'v> {
    /// The context of `template`, whose resources' views are `views`.
    pub fn new(template: &'v Template<'v>, views: &'v [ResourceView<'v>]) -> Self {
        Self::with_budget(template, views, &Budget::unlimited())
    }

    /// The context of `template`, whose work stops once `budget` is spent
    /// ([`TemplateContext::stopped`] then says so).
    pub fn with_budget(
        template: &'v Template<'v>,
        views: &'v [ResourceView<'v>],
        budget: &Budget,
    ) -> Self {
        let resolver_stopped = Rc::new(Cell::new(false));
        let resolver = {
            let (budget, stopped) = (budget.clone(), Rc::clone(&resolver_stopped));
            template.resolver().stop_when(move || {
                let spent = budget.is_spent();
                stopped.set(stopped.get() || spent);
                spent
            })
        };
        TemplateContext {
            template,
            views,
            resolver,
            resolver_stopped,
            work: Work::new(budget.clone(), MAX_WORK),
            ingress: OnceCell::new(),
            rendering: RefCell::new(None),
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

    /// Whether work was cut short because the budget was spent: what the
    /// checks found is then not all there is.
    pub fn stopped(&self) -> bool {
        self.resolver_stopped.get() || self.work.stopped()
    }

    /// The native work (other than resolving) the checks share.
    pub(crate) fn work(&self) -> &Work {
        &self.work
    }

    /// What the template's security groups admit.
    pub(crate) fn ingress(&self) -> &ingress::Analysis<'v> {
        self.ingress
            .get_or_init(|| ingress::Analysis::new(self.template, self.views, &self.resolver))
    }

    /// The text regex rules look at for resource `index`, within what one
    /// evaluation may render.
    pub(crate) fn rendering(&self, index: usize) -> Rendering {
        let mut last = self.rendering.borrow_mut();
        if let Some((at, text)) = last.as_ref()
            && *at == index
        {
            return Rc::clone(text);
        }
        let cap = MAX_RENDERED.saturating_sub(self.rendered.get());
        let text = match render_capped(&self.template.resources[index].body, cap) {
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
        };
        let text = Rc::new(text);
        *last = Some((index, Rc::clone(&text)));
        text
    }
}

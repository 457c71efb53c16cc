/*
 * 家电之选 operator console — served at /admin/ by the same app, no build step: native ES
 * modules sharing the storefront's (../shared/: api, html, dom, messages, router,
 * components, format, dialog) and its look (storefront/style.css, plus admin.css).
 *
 * Only an operator (an admin) sees a page: anyone else — signed out, or a shopper —
 * gets the sign-in page whatever the address, and the console asks the server for
 * nothing else (the admin API refuses them anyway).
 *
 * Test ids (for the browser tests): console-nav and nav-* links, operator-name,
 * logout-button, page-title, each page's own (see its module).
 */

import { bindMessageButtons, configureMessages } from '../shared/messages.js';
import { $ } from '../shared/dom.js';
import { renderPageError, route, startRouter } from '../shared/router.js';
import { isOperator, loadSession, onUnauthorized, renderNav } from './session.js';
import * as login from './pages/login.js';
import * as dashboard from './pages/dashboard.js';
import * as orders from './pages/orders.js';
import * as order from './pages/order.js';
import * as products from './pages/products.js';
import * as product from './pages/product.js';
import * as stock from './pages/stock.js';
import * as categories from './pages/categories.js';
import * as banners from './pages/banners.js';
import * as payments from './pages/payments.js';
import * as refunds from './pages/refunds.js';
import * as users from './pages/users.js';
import * as user from './pages/user.js';
import * as gate from './pages/gate.js';
import * as audit from './pages/audit.js';

/** Every page but the sign-in page is an operator's: anyone else gets the sign-in page instead. */
const operatorOnly = (page) => ({
  render: (ctx) => (isOperator() ? page.render(ctx) : login.render(ctx)),
});

const routes = [
  [/^\/login$/, login],
  [/^\/$/, dashboard],
  [/^\/orders$/, orders],
  [/^\/orders\/([^/]+)$/, order],
  [/^\/products$/, products],
  [/^\/products\/new$/, product],
  [/^\/products\/(\d+)$/, product],
  [/^\/stock$/, stock],
  [/^\/categories$/, categories],
  [/^\/banners$/, banners],
  [/^\/payments$/, payments],
  [/^\/refunds$/, refunds],
  [/^\/users$/, users],
  [/^\/users\/(\d+)$/, user],
  [/^\/gate$/, gate],
  [/^\/audit$/, audit],
].map(([pattern, page]) => [pattern, page === login ? page : operatorOnly(page)]);

async function boot() {
  bindMessageButtons();
  configureMessages({ onUnauthorized });
  startRouter({
    routes,
    view: $('#view'),
    title: '运营后台 · 家电之选',
    onRoute() {
      renderNav();
    },
    // A 403: the account stopped being an operator meanwhile — ask again who it is (the sign-in page).
    async failed(ctx, err) {
      if (err && err.status === 403) {
        await loadSession();
        if (!isOperator()) {
          route();
          return;
        }
      }
      renderPageError(ctx, err);
    },
  });
  await loadSession();
  await route();
}

boot();

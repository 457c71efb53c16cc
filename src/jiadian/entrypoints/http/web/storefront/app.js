/*
 * 家电之选 (jiadian) — shopper-facing storefront.
 *
 * A single-page app in native ES modules: no framework, no build step, no
 * external resources. It talks only to the shop's JSON API and keeps no
 * business logic: prices, totals, stock checks and order statuses all come
 * from the server; the pages only display them and send what the shopper
 * chose. Served at `/`; pages are hash routes, one module per page under
 * pages/ exporting `render(ctx)`. This module wires them: the routes, the
 * header, and what a 401 means here.
 *
 * Modules shared with the operator console live in ../shared/ (api, html,
 * dom, messages, router, components, format); the storefront's own in this
 * directory (session.js: the shopper and the header; components.js: cards,
 * order lines, the user centre's layout).
 *
 * Routes
 *   #/                         home: banners carousel, categories with nav line and 4 products
 *   #/category/{slug|all}?sort=&page=   product list (sort: price -price sales -sales date -date)
 *   #/search?q=&sort=&page=    search results (best match first, or a list order)
 *   #/product/{id}             product detail
 *   #/register  #/login?next=  #/logout
 *   #/password/forgot?email=   ask for a password-reset code by e-mail
 *   #/password/reset?email=    set a new password with the code
 *   #/user                     user center: profile, avatar, browsing history
 *   #/user/password            change the password (other devices are signed out)
 *   #/user/balance             wallet
 *   #/user/addresses?next=     addresses (next: hash to return to after saving, e.g. checkout)
 *   #/user/orders?status=&page=   order history (status: 1..5 | cancelled | refund_requested | refunded);
 *                              #/orders is an alias
 *   #/order/{order_id}         order detail (pay, cancel, ask for a refund, confirm receipt; the refund's state)
 *   #/order/{order_id}/review  review the lines of a received order
 *   #/cart                     cart
 *   #/checkout?skus=1,2        checkout of chosen cart lines
 *   #/checkout?sku=5&count=2   checkout of a "buy now"
 *   #/pay/{order_id}           payment page (wallet or Alipay)
 *   #/pay/{order_id}/success   payment success
 *
 * data-testid values (for end-to-end tests)
 *   layout:   site-logo, search-form, search-input, search-button, user-nav, category-nav,
 *             search-suggestions, search-suggestion (data-kind: line | product; aria-selected),
 *             category-link (data-slug; "all" for 全部商品), cart-link, cart-count,
 *             login-link, register-link, user-link, orders-link, logout-button, view,
 *             error-message (role=alert, class=error), error-close, notice-message (role=status),
 *             page-error (a page that could not load), retry-button
 *   lists:    product-card (data-product-id), product-grid, pagination, page-prev, page-next,
 *             page-{n}, page-info, empty-state
 *   home:     banner-carousel, banner-slide, banner-prev, banner-next, banner-dot,
 *             home-category (data-slug), category-nav-line, category-more
 *   category: category-title, sort-bar, sort-default, sort-price-asc, sort-price-desc,
 *             sort-sales-asc, sort-sales-desc, sort-date-asc, sort-date-desc
 *             (each sort button also has data-sort with the API key)
 *   search:   search-summary, sort-bar and its buttons (as on a category; sort-default is 最相关)
 *   product:  product-name, product-gallery, product-main-image, product-thumb,
 *             variant-size, variant-color (data-value; aria-pressed=true when chosen),
 *             sku-price, sku-stock, count-input, count-dec, count-inc, add-to-cart-button,
 *             buy-now-button, product-detail, review-summary, review-list, review-item,
 *             reviews-pagination, hot-products
 *   register: register-form, register-username, register-email, register-password,
 *             register-password2, register-code, register-send-code, register-submit
 *   login:    login-form, login-username, login-password, login-submit, forgot-link
 *   password: forgot-form, forgot-email, forgot-submit; reset-form, reset-email, reset-username,
 *             reset-code, reset-password, reset-password2, reset-submit, reset-resend;
 *             password-form, password-current, password-new, password-new2, password-submit
 *   user:     user-menu, profile-form, profile-username, profile-email, profile-phone,
 *             profile-introduce, profile-save, avatar-image, avatar-input, avatar-upload,
 *             history-list
 *   wallet:   wallet-balance, wallet-total-recharged, wallet-total-consumed
 *   address:  address-list, address-item (data-address-id), address-default-badge,
 *             address-edit, address-delete, address-set-default, address-add, address-form,
 *             address-recipient, address-phone, address-province, address-city, address-county,
 *             address-detail, address-is-default, address-save, address-cancel
 *   cart:     cart-line (data-sku-id; class "unavailable" when it cannot be bought as it stands),
 *             cart-line-problem (why), cart-line-select, cart-line-count, cart-line-dec,
 *             cart-line-inc, cart-line-remove, cart-line-price, cart-line-total,
 *             cart-select-all, cart-selected-count, cart-total, checkout-button, cart-empty
 *   checkout: address-picker, address-option (radio, value = address id), add-address-link, no-address,
 *             checkout-line, checkout-count, checkout-amount, checkout-freight, checkout-total,
 *             order-mark, place-order-button
 *   pay:      pay-order-no, pay-total, wallet-balance, pay-wallet-button, pay-alipay-button,
 *             payment-success, payment-pending, order-link
 *   orders:   order-status-tabs, order-tab-all, order-tab-1 … order-tab-5, order-tab-cancelled,
 *             order-tab-refund_requested, order-tab-refunded,
 *             order-card (data-order-id), order-status, order-line (data-line-id),
 *             order-detail-link, order-pay-button, review-link
 *   order:    order-detail, order-status, order-no, order-address, order-amount, order-freight,
 *             order-total, order-pay-button, cancel-order-button, confirm-receipt-button, review-link,
 *             refund-request-button, refund-form, refund-reason, refund-submit, refund-cancel,
 *             refund-state (data-state), refund-state-label, refund-answer
 *   review:   review-form (data-line-id), review-score (radios, value 1|3|5), review-content,
 *             review-submit, review-done
 */

import { bindMessageButtons, configureMessages } from '../shared/messages.js';
import { $ } from '../shared/dom.js';
import { route, startRouter } from '../shared/router.js';
import {
  bindSearchForm, loadCategories, loadSession, markActiveCategory, onUnauthorized, renderUserNav, syncSearchBox,
} from './session.js';
import { bindSuggestions } from './suggest.js';
import * as home from './pages/home.js';
import * as category from './pages/category.js';
import * as search from './pages/search.js';
import * as product from './pages/product.js';
import * as register from './pages/register.js';
import * as login from './pages/login.js';
import * as forgot from './pages/forgot.js';
import * as reset from './pages/reset.js';
import * as logout from './pages/logout.js';
import * as user from './pages/user.js';
import * as password from './pages/password.js';
import * as balance from './pages/balance.js';
import * as addresses from './pages/addresses.js';
import * as orders from './pages/orders.js';
import * as order from './pages/order.js';
import * as review from './pages/review.js';
import * as cart from './pages/cart.js';
import * as checkout from './pages/checkout.js';
import * as pay from './pages/pay.js';
import * as paySuccess from './pages/pay-success.js';

const routes = [
  [/^\/$/, home],
  [/^\/category\/([^/]+)$/, category],
  [/^\/search$/, search],
  [/^\/product\/([^/]+)$/, product],
  [/^\/register$/, register],
  [/^\/login$/, login],
  [/^\/logout$/, logout],
  [/^\/password\/forgot$/, forgot],
  [/^\/password\/reset$/, reset],
  [/^\/user$/, user],
  [/^\/user\/password$/, password],
  [/^\/user\/balance$/, balance],
  [/^\/user\/addresses$/, addresses],
  [/^\/user\/orders$/, orders],
  [/^\/orders$/, orders], // an alias: server pages (the payment simulator's) link here
  [/^\/order\/([^/]+)$/, order],
  [/^\/order\/([^/]+)\/review$/, review],
  [/^\/cart$/, cart],
  [/^\/checkout$/, checkout],
  [/^\/pay\/([^/]+)$/, pay],
  [/^\/pay\/([^/]+)\/success$/, paySuccess],
];

/** Publish the sticky header's height (it wraps on phones) for the sticky messages under it. */
function trackHeaderHeight() {
  const header = $('.site-header');
  const publish = () => document.documentElement.style.setProperty('--header-height', `${header.offsetHeight}px`);
  publish();
  if ('ResizeObserver' in window) new ResizeObserver(publish).observe(header);
  else window.addEventListener('resize', publish);
}

async function boot() {
  trackHeaderHeight();
  bindMessageButtons();
  configureMessages({ onUnauthorized });
  bindSearchForm();
  bindSuggestions();
  renderUserNav();
  startRouter({
    routes,
    view: $('#view'),
    title: '家电之选',
    onRoute(path, query) {
      markActiveCategory(path);
      syncSearchBox(path, query);
    },
  });
  await Promise.all([loadSession(), loadCategories()]);
  await route();
}

boot();

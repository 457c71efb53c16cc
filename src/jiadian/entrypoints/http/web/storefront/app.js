/*
 * 家电之选 (jiadian) — shopper-facing storefront.
 *
 * A single-page app in native ES modules: no framework, no build step, no
 * external resources. It talks only to the shop's JSON API and keeps no
 * business logic: prices, totals, stock checks and order statuses all come
 * from the server; the pages only display them and send what the shopper
 * chose. Served at `/` (index.html; every file under /assets/{version}/, see
 * entrypoints/http/web.py); pages are hash routes, one module per page under
 * pages/ exporting `render(ctx)`, loaded when first shown. This module wires
 * them: the routes, the header, and what a 401 means here.
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
 *   #/pay/{order_id}/test-mode where 支付宝 leads while the shop takes no real payments (the simulator)
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

/** Each page's module loads when the page is first shown (the home page's alone on a cold visit). */
const routes = [
  [/^\/$/, () => import('./pages/home.js')],
  [/^\/category\/([^/]+)$/, () => import('./pages/category.js')],
  [/^\/search$/, () => import('./pages/search.js')],
  [/^\/product\/([^/]+)$/, () => import('./pages/product.js')],
  [/^\/register$/, () => import('./pages/register.js')],
  [/^\/login$/, () => import('./pages/login.js')],
  [/^\/logout$/, () => import('./pages/logout.js')],
  [/^\/password\/forgot$/, () => import('./pages/forgot.js')],
  [/^\/password\/reset$/, () => import('./pages/reset.js')],
  [/^\/user$/, () => import('./pages/user.js')],
  [/^\/user\/password$/, () => import('./pages/password.js')],
  [/^\/user\/balance$/, () => import('./pages/balance.js')],
  [/^\/user\/addresses$/, () => import('./pages/addresses.js')],
  [/^\/user\/orders$/, () => import('./pages/orders.js')],
  [/^\/orders$/, () => import('./pages/orders.js')], // an alias: server pages link here
  [/^\/order\/([^/]+)$/, () => import('./pages/order.js')],
  [/^\/order\/([^/]+)\/review$/, () => import('./pages/review.js')],
  [/^\/cart$/, () => import('./pages/cart.js')],
  [/^\/checkout$/, () => import('./pages/checkout.js')],
  [/^\/pay\/([^/]+)$/, () => import('./pages/pay.js')],
  [/^\/pay\/([^/]+)\/success$/, () => import('./pages/pay-success.js')],
  [/^\/pay\/([^/]+)\/test-mode$/, () => import('./pages/pay-test-mode.js')],
];

/** Publish the sticky header's height (it wraps on phones) for the sticky messages under it. */
function trackHeaderHeight() {
  const header = $('.site-header');
  const publish = () => document.documentElement.style.setProperty('--header-height', `${header.offsetHeight}px`);
  publish();
  if ('ResizeObserver' in window) new ResizeObserver(publish).observe(header);
  else window.addEventListener('resize', publish);
}

/** On phones the messages float above the bottom bar: the page keeps as much room below while they show. */
function trackMessagesHeight() {
  const messages = $('#messages');
  const publish = () => {
    const shown = [...messages.children].some((box) => !box.hidden);
    const height = shown && getComputedStyle(messages).position === 'fixed' ? messages.offsetHeight + 8 : 0;
    document.documentElement.style.setProperty('--messages-height', `${height}px`);
  };
  new MutationObserver(publish).observe(messages, { subtree: true, attributes: true, attributeFilter: ['hidden'] });
  window.addEventListener('resize', publish);
}

/** The skip link moves the focus to the page's content (its href would be a route in a hash router). */
function bindSkipLink() {
  $('.skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    const target = $('#view h1') || $('#view');
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  });
}

async function boot() {
  trackHeaderHeight();
  trackMessagesHeight();
  bindSkipLink();
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
  // Who is shopping, the categories and the page's own data are asked for at once: pages that need the
  // first two wait on state.sessionLoaded / state.categoriesLoaded.
  loadSession();
  loadCategories();
  await route();
}

boot();

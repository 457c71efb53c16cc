/*
 * #/product/{id}?sku=&count= — a product: gallery, variants, price and stock of
 * the chosen sku, buying, reviews. The chosen sku and count live in the URL
 * (Back, reload and shared links keep them); without a sku the page opens at the
 * cheapest (ties: the lowest id), the one its card priced. The product, its
 * reviews and the categories are asked for at once.
 */

import { api, ApiError, post } from '../../shared/api.js';
import { html, safeUrl } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { bindPagination, clampCount, emptyState, image, pagination, problemState } from '../../shared/components.js';
import { formatTime, money, SCORE_LABELS, specs } from '../../shared/format.js';
import { clearMessages, errorText, handleError, showNotice } from '../../shared/messages.js';
import { go, replaceQuery } from '../../shared/router.js';
import { categoryLinks, productCard } from '../components.js';
import { addGuestLine } from '../guest-cart.js';
import { findCategory, refreshCartBadge, setCartLines, state } from '../session.js';

const reviewsPath = (productId, page) => `/api/catalog/products/${enc(productId)}/reviews?page=${enc(page)}`;

/** The sku a card priced: the cheapest, ties the lowest id. */
const cheapest = (skus) => skus.reduce((best, sku) => (
  !best || Number(sku.price) < Number(best.price) || (Number(sku.price) === Number(best.price) && sku.id < best.id) ? sku : best
), null);

export async function render(ctx) {
  const productId = ctx.params[0];
  const reviews = api(reviewsPath(productId, 1)).catch((err) => err);
  let product;
  try {
    [product] = await Promise.all([api(`/api/catalog/products/${enc(productId)}`), state.categoriesLoaded]);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'not_found') throw err;
    await state.categoriesLoaded;
    document.title = '商品不存在 - 家电之选';
    ctx.render(html`
      ${problemState({
        title: '这件商品不存在或已下架',
        text: '它可能已经卖完下架，或者链接有误。看看同类的其他商品吧：',
        testid: 'product-missing',
        actions: [{ href: '#/category/all', label: '浏览全部商品', primary: true }, { href: '#/', label: '返回首页' }],
      })}
      ${categoryLinks(state.categories)}`);
    return;
  }
  document.title = `${product.name} - 家电之选`;
  const sizes = (product.specs && product.specs.sizes) || [];
  const colors = (product.specs && product.specs.colors) || [];
  const skus = product.skus || [];
  const category = findCategory(product.category);
  const summary = product.reviews || {};

  if (!ctx.render(html`
    <div class="product-page">
    <nav class="breadcrumb" aria-label="当前位置"><a href="#/">首页</a> ›
      ${category ? html`<a href="#/category/${enc(category.slug)}">${category.name}</a> ›` : ''}
      <span>${product.name}</span></nav>
    <section class="product-top">
      <div class="gallery" id="gallery" data-testid="product-gallery"></div>
      <div class="buy-box">
        <h1 data-testid="product-name">${product.name}</h1>
        ${product.spu && product.spu.name ? html`<p class="muted">${product.spu.name}</p>` : ''}
        <div class="price-row"><span class="label">价格</span><span class="price big" data-testid="sku-price">—</span></div>
        ${variantRow('规格', 'size', sizes)}
        ${variantRow('颜色', 'color', colors)}
        <div class="row"><span class="label">库存</span><span data-testid="sku-stock">—</span></div>
        <div class="row"><span class="label" id="count-label">数量</span>
          <div class="stepper">
            <button type="button" data-testid="count-dec" aria-label="减少数量">−</button>
            <input type="text" id="buy-count" value="1" inputmode="numeric" pattern="[0-9]*" autocomplete="off"
                   aria-labelledby="count-label" aria-describedby="count-note" data-testid="count-input">
            <button type="button" data-testid="count-inc" aria-label="增加数量">+</button>
          </div>
        </div>
        <p class="field-note" id="count-note" role="status" data-testid="count-note"></p>
        <div class="buy-bar">
          <p class="buy-feedback" role="alert" data-testid="buy-feedback" hidden></p>
          <div class="actions">
            <button type="button" class="button" data-testid="add-to-cart-button">加入购物车</button>
            <button type="button" class="button secondary" data-testid="buy-now-button">立即购买</button>
          </div>
        </div>
      </div>
    </section>
    <div class="product-columns">
      <div class="product-main">
        <section class="panel">
          <h2>商品详情</h2>
          <p class="pre" data-testid="product-detail">${(product.spu && product.spu.detail) || '暂无详情'}</p>
        </section>
        <section class="panel" id="reviews">
          <h2>商品评价</h2>
          <p class="review-summary" data-testid="review-summary">
            共 <strong>${summary.count ?? 0}</strong> 条评价 · 平均评分 <strong>${summary.count ? summary.average_score : '—'}</strong>
            · 好评率 <strong>${summary.count ? `${summary.satisfaction}%` : '—'}</strong></p>
          <div id="review-list" data-testid="review-list"><p class="loading">评价加载中…</p></div>
        </section>
      </div>
      <aside class="panel hot" aria-labelledby="hot-title">
        <h2 id="hot-title">热销推荐</h2>
        <div class="grid grid-narrow" data-testid="hot-products">${(product.hot || []).map(productCard)}</div>
      </aside>
    </div>
    </div>`)) return;

  const bySku = skus.find((sku) => String(sku.id) === ctx.query.get('sku'));
  const first = bySku || cheapest(skus);
  const chosen = {
    size: sizes.length && first ? first.size : null,
    color: colors.length && first ? first.color : null,
  };
  const matches = (sku, want) => (want.size === null || sku.size === want.size) && (want.color === null || sku.color === want.color);
  const currentSku = () => skus.find((sku) => matches(sku, chosen)) || null;
  const input = $('#buy-count', ctx.view);
  const note = $('[data-testid="count-note"]', ctx.view);
  const feedback = $('[data-testid="buy-feedback"]', ctx.view);
  const say = (text) => { feedback.textContent = text; feedback.hidden = !text; };

  /** Keep the count whole and within the stock, say so when it changed, and keep it in the URL. */
  const settleCount = (value) => {
    const sku = currentSku();
    const max = sku ? Number(sku.stock) : null;
    const { count, note: why } = clampCount(value, max >= 1 ? max : null);
    input.value = String(count);
    note.textContent = why;
    $('[data-testid="count-dec"]', ctx.view).disabled = count <= 1;
    $('[data-testid="count-inc"]', ctx.view).disabled = max !== null && count >= max;
    replaceQuery({ count: count > 1 ? count : null });
    return count;
  };

  const update = () => {
    const sku = currentSku();
    $$('[data-variant]', ctx.view).forEach((button) => {
      const kind = button.dataset.variant;
      const selected = chosen[kind] === button.dataset.value;
      button.classList.toggle('selected', selected);
      button.setAttribute('aria-pressed', selected ? 'true' : 'false');
      button.classList.toggle('unavailable', !skus.some((s) => matches(s, { ...chosen, [kind]: button.dataset.value })));
    });
    $('[data-testid="sku-price"]', ctx.view).textContent = sku ? money(sku.price) : '—';
    const soldOut = !sku || Number(sku.stock) <= 0;
    $('[data-testid="sku-stock"]', ctx.view).textContent = !sku ? '该规格暂无' : (soldOut ? '暂时缺货' : `${sku.stock} 件`);
    $('[data-testid="add-to-cart-button"]', ctx.view).disabled = soldOut;
    $('[data-testid="buy-now-button"]', ctx.view).disabled = soldOut;
    say(soldOut && sku ? '这个规格暂时缺货，可以选择其他规格。' : '');
    if (sku) replaceQuery({ sku: sku.id });
    if (!soldOut) settleCount(input.value);
    renderGallery(ctx, sku && sku.images && sku.images.length ? sku.images : (product.images || []), product.name);
  };

  on(ctx.view, '[data-variant]', 'click', (event, button) => {
    const kind = button.dataset.variant;
    chosen[kind] = button.dataset.value;
    if (!currentSku()) {
      const sku = skus.find((s) => s[kind] === button.dataset.value);
      if (sku) {
        chosen.size = sizes.length ? sku.size : null;
        chosen.color = colors.length ? sku.color : null;
      }
    }
    update();
  });
  on(ctx.view, '[data-testid="count-dec"]', 'click', () => settleCount(Number(settleCount(input.value)) - 1));
  on(ctx.view, '[data-testid="count-inc"]', 'click', () => settleCount(Number(settleCount(input.value)) + 1));
  input.addEventListener('change', () => settleCount(input.value));
  input.value = ctx.query.get('count') || '1';

  on(ctx.view, '[data-testid="add-to-cart-button"]', 'click', (event, button) => buy(button, async () => {
    const sku = currentSku();
    const count = settleCount(input.value);
    await state.sessionLoaded;
    if (!state.user) {
      const inCart = addGuestLine(sku.id, count, Number(sku.stock));
      if (!inCart) {
        say('购物车最多只能放 100 种商品，请先删除一些再加入。');
        return;
      }
      await refreshCartBadge();
      showNotice(`已加入购物车（这件商品共 ${inCart} 件）。登录后，购物车会保存到您的账号`);
      return;
    }
    const result = await post('/api/cart/items', { sku_id: sku.id, count });
    setCartLines(result && result.lines);
    showNotice(`已加入购物车（购物车共 ${result ? result.lines : '?'} 种商品）`);
  }));
  on(ctx.view, '[data-testid="buy-now-button"]', 'click', () => {
    const sku = currentSku();
    if (sku) go(`#/checkout?${new URLSearchParams({ sku: sku.id, count: settleCount(input.value), product: product.id })}`);
  });

  /** Run a buying action: its failure is said in the buy box, where the shopper is looking. */
  async function buy(button, action) {
    clearMessages();
    say('');
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      if (err instanceof ApiError && err.status !== 401) say(buyProblem(err));
      else handleError(err);
    } finally {
      const sku = currentSku();
      button.disabled = !sku || Number(sku.stock) <= 0;
    }
  }

  keepBottomBarHeight(ctx, $('.buy-bar', ctx.view));
  update();
  showReviews(ctx, productId, await reviews);
}

/** On phones the buy bar is fixed at the bottom: the page and the messages make room for its height. */
function keepBottomBarHeight(ctx, bar) {
  const root = document.documentElement;
  const publish = () => {
    const fixed = getComputedStyle(bar).position === 'fixed';
    root.style.setProperty('--bottom-bar', fixed ? `${bar.offsetHeight}px` : '0px');
  };
  const observer = new ResizeObserver(publish);
  observer.observe(bar);
  window.addEventListener('resize', publish);
  ctx.onLeave(() => {
    observer.disconnect();
    window.removeEventListener('resize', publish);
    root.style.removeProperty('--bottom-bar');
  });
}

/** What went wrong with adding to the cart, and what to do about it. */
function buyProblem(err) {
  if (err.code === 'insufficient_stock') {
    const left = err.body && Number.isInteger(err.body.available) ? err.body.available : null;
    return left === null
      ? '库存不足，请减少数量。'
      : `库存不足：这个规格仅剩 ${left} 件，您的购物车里可能已经有一些了。可以减少数量，或去购物车看看。`;
  }
  if (err.code === 'cart_full') return `${err.detail}，请先删除一些再加入。`;
  if (err.code === 'not_found' || err.code === 'off_shelf') return '这个规格刚刚下架了，请选择其他规格。';
  return `${errorText(err)}。`;
}

function variantRow(label, kind, values) {
  if (!values.length) return '';
  return html`
    <div class="row variants"><span class="label" id="variant-${kind}-label">${label}</span>
      <div class="variant-options" role="group" aria-labelledby="variant-${kind}-label">
        ${values.map((value) => html`
          <button type="button" class="variant" data-variant="${kind}" data-value="${value}"
                  data-testid="variant-${kind}" aria-pressed="false">${value}</button>`)}
      </div>
    </div>`;
}

function renderGallery(ctx, images, name) {
  const gallery = $('#gallery', ctx.view);
  if (!gallery) return;
  gallery.innerHTML = String(html`
    ${image(images[0], name, 'main-img', 'product-main-image')}
    ${images.length > 1 ? html`<div class="thumbs">${images.map((url, i) => html`
      <button type="button" class="thumb${i === 0 ? ' active' : ''}" data-index="${i}" data-testid="product-thumb"
              aria-label="查看图片 ${i + 1}"${i === 0 ? html` aria-current="true"` : ''}>
        ${image(url, '', 'thumb-img')}</button>`)}</div>` : ''}`);
  on(gallery, '.thumb', 'click', (event, thumb) => {
    const main = $('[data-testid="product-main-image"]', gallery);
    const url = safeUrl(images[Number(thumb.dataset.index)]);
    if (main && main.tagName === 'IMG' && url) main.src = url;
    $$('.thumb', gallery).forEach((t) => {
      t.classList.toggle('active', t === thumb);
      if (t === thumb) t.setAttribute('aria-current', 'true'); else t.removeAttribute('aria-current');
    });
  });
}

async function loadReviews(ctx, productId, page) {
  showReviews(ctx, productId, await api(reviewsPath(productId, page)).catch((err) => err));
}

function showReviews(ctx, productId, result) {
  const list = $('#review-list', ctx.view);
  if (!ctx.alive || !list) return;
  if (result instanceof Error) {
    list.innerHTML = String(html`<p class="muted">评价暂时无法显示（${result.detail || '请稍后再试'}）。<button type="button" class="link-button text-link" data-testid="reviews-retry">重新加载评价</button></p>`);
    on(list, '[data-testid="reviews-retry"]', 'click', () => loadReviews(ctx, productId, 1));
    return;
  }
  list.innerHTML = String(html`
    ${result.items.length ? result.items.map(reviewItem) : emptyState('暂无评价')}
    ${pagination(result, 'reviews-pagination')}`);
  bindPagination(list, (n) => loadReviews(ctx, productId, n));
}

function reviewItem(review) {
  return html`
    <article class="review" data-testid="review-item">
      <header>
        <strong data-testid="review-user">${review.username}</strong>
        <span class="score score-${review.score}">${SCORE_LABELS[review.score] || ''} ${review.score} 分</span>
        <span class="muted">${review.sku ? specs(review.sku) : ''}</span>
        <time class="muted" datetime="${review.created_at}">${formatTime(review.created_at)}</time>
      </header>
      <p class="pre">${review.content}</p>
    </article>`;
}

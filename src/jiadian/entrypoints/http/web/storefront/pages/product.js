/* #/product/{id} — a product: gallery, variants, price and stock of the chosen sku, buying, reviews. */

import { api, post } from '../../shared/api.js';
import { html, safeUrl } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { bindPagination, emptyState, image, pagination } from '../../shared/components.js';
import { formatTime, money, SCORE_LABELS, specs } from '../../shared/format.js';
import { handleError, showNotice, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { productCard } from '../components.js';
import { setCartLines, state } from '../session.js';

export async function render(ctx) {
  const productId = ctx.params[0];
  const product = await api(`/api/catalog/products/${enc(productId)}`);
  document.title = `${product.name} - 家电之选`;
  const sizes = (product.specs && product.specs.sizes) || [];
  const colors = (product.specs && product.specs.colors) || [];
  const skus = product.skus || [];
  const category = findCategory(product.category);
  const reviews = product.reviews || {};

  if (!ctx.render(html`
    <nav class="breadcrumb"><a href="#/">首页</a> ›
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
        <div class="row"><span class="label">数量</span>
          <div class="stepper">
            <button type="button" data-testid="count-dec" aria-label="减少数量">−</button>
            <input type="number" id="buy-count" value="1" min="1" step="1" inputmode="numeric" aria-label="购买数量" data-testid="count-input">
            <button type="button" data-testid="count-inc" aria-label="增加数量">+</button>
          </div>
        </div>
        <div class="actions">
          <button type="button" class="button" data-testid="add-to-cart-button">加入购物车</button>
          <button type="button" class="button secondary" data-testid="buy-now-button">立即购买</button>
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
            共 <strong>${reviews.count ?? 0}</strong> 条评价 · 平均评分 <strong>${reviews.average_score ?? '—'}</strong>
            · 满意度 <strong>${reviews.satisfaction ?? '—'}%</strong></p>
          <div id="review-list" data-testid="review-list"></div>
        </section>
      </div>
      <aside class="panel hot">
        <h2>热销推荐</h2>
        <div class="grid grid-narrow" data-testid="hot-products">${(product.hot || []).map(productCard)}</div>
      </aside>
    </div>`)) return;

  const chosen = {
    size: sizes.length && skus[0] ? skus[0].size : null,
    color: colors.length && skus[0] ? skus[0].color : null,
  };
  const matches = (sku, want) => (want.size === null || sku.size === want.size) && (want.color === null || sku.color === want.color);
  const currentSku = () => skus.find((sku) => matches(sku, chosen)) || null;

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
    $('#buy-count', ctx.view).max = sku ? String(sku.stock) : '';
    $('[data-testid="add-to-cart-button"]', ctx.view).disabled = soldOut;
    $('[data-testid="buy-now-button"]', ctx.view).disabled = soldOut;
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
  bindCountStepper(ctx.view);
  on(ctx.view, '[data-testid="add-to-cart-button"]', 'click', (event, button) => withBusy(button, async () => {
    const sku = currentSku();
    const result = await post('/api/cart/items', { sku_id: sku.id, count: readCount(ctx.view) });
    setCartLines(result && result.lines);
    showNotice(`已加入购物车（购物车共 ${result ? result.lines : '?'} 种商品）`);
  }));
  on(ctx.view, '[data-testid="buy-now-button"]', 'click', () => {
    const sku = currentSku();
    if (sku) go(`#/checkout?${new URLSearchParams({ sku: sku.id, count: readCount(ctx.view) })}`);
  });
  update();
  loadReviews(ctx, productId, 1);
}

/** The category of a product, whether the API gives a slug, a name, an id or an object. */
function findCategory(value) {
  if (value && typeof value === 'object') {
    return value.slug ? value : state.categories.find((c) => c.id === value.id) || null;
  }
  return state.categories.find((c) => c.slug === value || c.name === value || String(c.id) === String(value)) || null;
}

function variantRow(label, kind, values) {
  if (!values.length) return '';
  return html`
    <div class="row variants"><span class="label">${label}</span>
      <div class="variant-options" role="group" aria-label="${label}">
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
      <button type="button" class="thumb${i === 0 ? ' active' : ''}" data-index="${i}" data-testid="product-thumb" aria-label="图片 ${i + 1}">
        ${image(url, `${name} 图片 ${i + 1}`, 'thumb-img')}</button>`)}</div>` : ''}`);
  on(gallery, '.thumb', 'click', (event, thumb) => {
    const main = $('[data-testid="product-main-image"]', gallery);
    const url = safeUrl(images[Number(thumb.dataset.index)]);
    if (main && main.tagName === 'IMG' && url) main.src = url;
    $$('.thumb', gallery).forEach((t) => t.classList.toggle('active', t === thumb));
  });
}

function readCount(root) {
  const value = parseInt($('#buy-count', root).value, 10);
  return Number.isFinite(value) && value >= 1 ? value : 1;
}

function bindCountStepper(root) {
  const input = $('#buy-count', root);
  const step = (delta) => {
    const max = parseInt(input.max, 10);
    let next = readCount(root) + delta;
    if (Number.isFinite(max) && max >= 1 && next > max) next = max;
    input.value = String(Math.max(1, next));
  };
  on(root, '[data-testid="count-dec"]', 'click', () => step(-1));
  on(root, '[data-testid="count-inc"]', 'click', () => step(1));
}

async function loadReviews(ctx, productId, page) {
  try {
    const result = await api(`/api/catalog/products/${enc(productId)}/reviews?page=${enc(page)}`);
    const list = $('#review-list', ctx.view);
    if (!ctx.alive || !list) return;
    list.innerHTML = String(html`
      ${result.items.length ? result.items.map(reviewItem) : emptyState('暂无评价')}
      ${pagination(result, 'reviews-pagination')}`);
    bindPagination(list, (n) => loadReviews(ctx, productId, n));
  } catch (err) {
    if (ctx.alive) handleError(err);
  }
}

function reviewItem(review) {
  return html`
    <article class="review" data-testid="review-item">
      <header>
        <strong>${review.username}</strong>
        <span class="score score-${review.score}">${SCORE_LABELS[review.score] || ''} ${review.score} 分</span>
        <span class="muted">${review.sku ? specs(review.sku) : ''}</span>
        <time class="muted">${formatTime(review.created_at)}</time>
      </header>
      <p class="pre">${review.content}</p>
    </article>`;
}

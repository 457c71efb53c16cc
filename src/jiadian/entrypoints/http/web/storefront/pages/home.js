/* #/ — the home page: banners carousel, categories with their nav line and products. */

import { api } from '../../shared/api.js';
import { attrIf, html, safeUrl } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { emptyState, image } from '../../shared/components.js';
import { productGrid } from '../components.js';

export async function render(ctx) {
  const home = await api('/api/catalog/home');
  if (!ctx.render(html`
    ${bannerCarousel(home.banners || [])}
    ${(home.categories || []).map(homeCategory)}
    ${home.categories && home.categories.length ? '' : emptyState('暂无商品')}`)) return;
  startCarousel(ctx);
}

function bannerCarousel(banners) {
  if (!banners.length) return '';
  return html`
    <section class="carousel" data-testid="banner-carousel" aria-roledescription="carousel" aria-label="活动推荐">
      ${banners.map((b, i) => html`
        <figure class="slide${i === 0 ? ' active' : ''}" data-testid="banner-slide"${attrIf(i !== 0, 'aria-hidden="true"')}>
          ${image(b.image_url, b.name, 'slide-img')}
          <figcaption>${b.name}</figcaption>
        </figure>`)}
      ${banners.length > 1 ? html`
        <button type="button" class="carousel-prev" data-testid="banner-prev" aria-label="上一张">‹</button>
        <button type="button" class="carousel-next" data-testid="banner-next" aria-label="下一张">›</button>
        <div class="dots">${banners.map((b, i) => html`
          <button type="button" class="dot${i === 0 ? ' active' : ''}" data-index="${i}" data-testid="banner-dot" aria-label="第 ${i + 1} 张"></button>`)}</div>` : ''}
    </section>`;
}

function startCarousel(ctx) {
  const root = $('.carousel', ctx.view);
  if (!root) return;
  const slides = $$('.slide', root);
  const dots = $$('.dot', root);
  if (slides.length < 2) return;
  let index = 0;
  const show = (next) => {
    index = (next + slides.length) % slides.length;
    slides.forEach((s, i) => {
      s.classList.toggle('active', i === index);
      if (i === index) s.removeAttribute('aria-hidden'); else s.setAttribute('aria-hidden', 'true');
    });
    dots.forEach((d, i) => d.classList.toggle('active', i === index));
  };
  let timer = setInterval(() => show(index + 1), 5000);
  const restart = () => { clearInterval(timer); timer = setInterval(() => show(index + 1), 5000); };
  on(root, '.carousel-prev', 'click', () => { show(index - 1); restart(); });
  on(root, '.carousel-next', 'click', () => { show(index + 1); restart(); });
  on(root, '.dot', 'click', (event, dot) => { show(Number(dot.dataset.index)); restart(); });
  ctx.onLeave(() => clearInterval(timer));
}

function homeCategory(category) {
  return html`
    <section class="home-category" data-testid="home-category" data-slug="${category.slug}">
      <header class="section-head">
        ${safeUrl(category.image_url) ? image(category.image_url, category.name, 'category-icon') : ''}
        <h2><a href="#/category/${enc(category.slug)}">${category.name}</a></h2>
        <nav class="nav-line" data-testid="category-nav-line" aria-label="${category.name}">
          ${(category.nav || []).map((name) => html`<a href="#/search?q=${enc(name)}">${name}</a>`)}
        </nav>
        <a class="more" href="#/category/${enc(category.slug)}" data-testid="category-more">查看更多 ›</a>
      </header>
      ${productGrid(category.products)}
    </section>`;
}

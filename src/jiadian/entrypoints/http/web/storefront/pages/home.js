/* #/ — the home page: banners carousel, categories with their nav line and products. */

import { api } from '../../shared/api.js';
import { attrIf, html, safeUrl } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { emptyState, image } from '../../shared/components.js';
import { productGrid } from '../components.js';

const SLIDE_MS = 5000;

export async function render(ctx) {
  const home = await api('/api/catalog/home');
  if (!ctx.render(html`
    <h1 class="visually-hidden">家电之选：手机、家用电器、电脑与耳机</h1>
    ${bannerCarousel(home.banners || [])}
    ${(home.categories || []).map(homeCategory)}
    ${home.categories && home.categories.length ? '' : emptyState('暂无商品')}`)) return;
  startCarousel(ctx);
}

function bannerCarousel(banners) {
  if (!banners.length) return '';
  const many = banners.length > 1;
  return html`
    <section class="carousel" data-testid="banner-carousel" aria-roledescription="carousel" aria-label="活动推荐">
      <div class="slides" aria-live="off">
        ${banners.map((b, i) => html`
          <figure class="slide${i === 0 ? ' active' : ''}" data-testid="banner-slide" role="group" aria-roledescription="slide"
                  aria-label="第 ${i + 1} 张，共 ${banners.length} 张"${attrIf(i !== 0, 'aria-hidden="true"')}>
            ${image(b.image_url, b.name, 'slide-img')}
            <figcaption>${b.name}</figcaption>
          </figure>`)}
      </div>
      ${many ? html`
        <button type="button" class="carousel-prev" data-testid="banner-prev" aria-label="上一张">‹</button>
        <button type="button" class="carousel-next" data-testid="banner-next" aria-label="下一张">›</button>
        <div class="carousel-controls">
          <button type="button" class="carousel-pause" data-testid="banner-pause" aria-pressed="false">暂停轮播</button>
          <div class="dots">${banners.map((b, i) => html`
            <button type="button" class="dot${i === 0 ? ' active' : ''}" data-index="${i}" data-testid="banner-dot"
                    aria-label="第 ${i + 1} 张"${attrIf(i === 0, 'aria-current="true"')}></button>`)}</div>
        </div>` : ''}
    </section>`;
}

/**
 * Slides move every 5 s — never for a shopper who asked for less motion, nor
 * while the pointer or the keyboard focus is on the carousel, nor once paused
 * with its button (WCAG 2.2.2). The arrows and dots always work.
 */
function startCarousel(ctx) {
  const root = $('.carousel', ctx.view);
  if (!root) return;
  const slides = $$('.slide', root);
  const dots = $$('.dot', root);
  if (slides.length < 2) return;
  const reduced = window.matchMedia('(prefers-reduced-motion: reduce)');
  const pause = $('.carousel-pause', root);
  let index = 0;
  let timer = null;
  let paused = reduced.matches; // by the shopper: the button, or the system's setting
  let resting = false; // the pointer or the focus is on it
  const show = (next) => {
    index = (next + slides.length) % slides.length;
    slides.forEach((s, i) => {
      s.classList.toggle('active', i === index);
      if (i === index) s.removeAttribute('aria-hidden'); else s.setAttribute('aria-hidden', 'true');
    });
    dots.forEach((d, i) => {
      d.classList.toggle('active', i === index);
      if (i === index) d.setAttribute('aria-current', 'true'); else d.removeAttribute('aria-current');
    });
  };
  const schedule = () => {
    clearInterval(timer);
    timer = paused || resting ? null : setInterval(() => show(index + 1), SLIDE_MS);
    root.dataset.playing = timer ? 'true' : 'false';
  };
  const setPaused = (value) => {
    paused = value;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? '播放轮播' : '暂停轮播';
    schedule();
  };
  const rest = (value) => () => { resting = value; schedule(); };
  on(root, '.carousel-prev', 'click', () => { show(index - 1); schedule(); });
  on(root, '.carousel-next', 'click', () => { show(index + 1); schedule(); });
  on(root, '.dot', 'click', (event, dot) => { show(Number(dot.dataset.index)); schedule(); });
  pause.addEventListener('click', () => setPaused(!paused));
  root.addEventListener('mouseenter', rest(true));
  root.addEventListener('mouseleave', rest(false));
  root.addEventListener('focusin', rest(true));
  root.addEventListener('focusout', (event) => { if (!root.contains(event.relatedTarget)) rest(false)(); });
  const motion = () => setPaused(reduced.matches);
  reduced.addEventListener('change', motion);
  setPaused(paused);
  ctx.onLeave(() => { clearInterval(timer); reduced.removeEventListener('change', motion); });
}

function homeCategory(category) {
  return html`
    <section class="home-category" data-testid="home-category" data-slug="${category.slug}">
      <header class="section-head">
        ${safeUrl(category.image_url) ? image(category.image_url, '', 'category-icon') : ''}
        <h2><a href="#/category/${enc(category.slug)}">${category.name}</a></h2>
        <nav class="nav-line" data-testid="category-nav-line" aria-label="${category.name}">
          ${(category.nav || []).map((name) => html`<a href="#/search?q=${enc(name)}">${name}</a>`)}
        </nav>
        <a class="more" href="#/category/${enc(category.slug)}" data-testid="category-more" aria-label="查看更多${category.name}">查看更多 ›</a>
      </header>
      ${productGrid(category.products)}
    </section>`;
}

/*
 * A guest's cart, kept in this browser (localStorage) until they sign in:
 * {sku_id: count}. The server prices and checks it (POST /api/cart/guest) and,
 * at sign-in, merges it into the account's cart up to each sku's stock
 * (POST /api/cart/merge); the browser's copy is then emptied.
 */

import { post } from '../shared/api.js';

const KEY = 'jiadian.guest-cart';
const MAX_LINES = 100; // as the server's cart

function read() {
  try {
    const lines = JSON.parse(localStorage.getItem(KEY) || '{}');
    return lines && typeof lines === 'object' && !Array.isArray(lines) ? lines : {};
  } catch {
    return {};
  }
}

function write(lines) {
  try {
    if (Object.keys(lines).length) localStorage.setItem(KEY, JSON.stringify(lines));
    else localStorage.removeItem(KEY);
  } catch { /* storage full or disabled: the cart lives as long as the page */ }
}

/** [{sku_id, count}] as the API takes them. */
export function guestLines() {
  return Object.entries(read())
    .map(([sku, count]) => ({ sku_id: Number(sku), count: Number(count) }))
    .filter((line) => Number.isInteger(line.sku_id) && line.sku_id > 0 && Number.isInteger(line.count) && line.count > 0);
}

export const guestLineCount = () => guestLines().length;

/** Add `count` of a sku, the line kept within `stock`; answers the line's count, or 0 when the cart is full. */
export function addGuestLine(skuId, count, stock) {
  const lines = read();
  const key = String(skuId);
  if (!(key in lines) && Object.keys(lines).length >= MAX_LINES) return 0;
  const next = Math.min(Number(lines[key] || 0) + count, Number.isFinite(stock) ? stock : Infinity);
  lines[key] = next;
  write(lines);
  return next;
}

export function setGuestLine(skuId, count) {
  const lines = read();
  lines[String(skuId)] = count;
  write(lines);
}

export function removeGuestLine(skuId) {
  const lines = read();
  delete lines[String(skuId)];
  write(lines);
}

/** The guest's cart as GET /api/cart shows a stored one. */
export const quoteGuestCart = () => post('/api/cart/guest', { lines: guestLines() });

const SHORT = {
  deleted: '已不存在',
  off_shelf: '已下架',
  out_of_stock: '已售罄',
  over_stock: '库存不足',
  cart_full: '购物车已满',
};

/**
 * What a merge into the cart did (POST /api/cart/merge's answer), in a
 * sentence: how many kinds came in, how many did not in full, and why.
 */
export function mergeMessage(result, what) {
  const came = result.lines.filter((l) => l.added > 0).length;
  const short = result.lines.filter((l) => l.problem);
  const reasons = [...new Set(short.map((l) => SHORT[l.problem] || '无法加入'))].join('、');
  const done = `已将${what} ${came} 种商品放入购物车`;
  return short.length ? `${done}，${short.length} 种未能全部放入（${reasons}），请在购物车中查看` : done;
}

/**
 * After sign-in: bring the guest's lines into the account's cart. Answers a
 * sentence for the shopper (what came in, what did not and why), or '' when
 * there was nothing to bring. The browser's copy is emptied once the server has it.
 */
export async function mergeGuestCart() {
  const lines = guestLines();
  if (!lines.length) return '';
  const result = await post('/api/cart/merge', { lines });
  write({});
  return mergeMessage(result, '登录前选购的');
}

/* How the fronts write money, times, specs and the shop's labels; ids and keys they send. */

export const money = (amount) => (amount === null || amount === undefined || amount === '' ? '—' : `¥${amount}`);
export const specs = (item) => [item.size, item.color].filter(Boolean).join(' / ');
export const PAY_METHODS = { wallet: '钱包余额', alipay: '支付宝' };
export const SCORE_LABELS = { 1: '差评', 3: '中评', 5: '好评' };

export function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString('zh-CN', { hour12: false });
}

export function newIdempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A numeric id stays a number in JSON bodies; anything else stays a string. */
export const toId = (value) => (/^\d+$/.test(String(value)) ? Number(value) : value);

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

/** A moment in a few characters, for timelines: "12月3日 09:05". */
export function formatShortTime(value) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) return '—';
  const two = (n) => String(n).padStart(2, '0');
  return `${date.getMonth() + 1}月${date.getDate()}日 ${two(date.getHours())}:${two(date.getMinutes())}`;
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

/** A decimal-string amount ("1234.50") as whole cents, to compare and subtract amounts exactly. */
export function cents(amount) {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount ?? '').trim());
  return match ? Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0')) : NaN;
}

/** Whole cents as the API writes amounts: 123450 → "1234.50". */
export const fromCents = (value) => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;

/** How long until a moment, said roughly: "2 小时 5 分", "3 分钟", or '' once it has passed. */
export function timeLeft(value, now = Date.now()) {
  const ms = new Date(value).getTime() - now;
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const minutes = Math.ceil(ms / 60000);
  const hours = Math.floor(minutes / 60);
  return hours ? `${hours} 小时 ${minutes % 60} 分` : `${minutes} 分钟`;
}

import { expect } from 'chai';
import { formatAmount, formatDate, formatDateTime } from '../../src/shared/format.ts';

describe('dates and amounts as the caller hears them', () => {
  it('a remembered date still turns over at local midnight, per locale and time zone', () => {
    const midnightTokyo = Date.UTC(2026, 11, 21, 15, 0); // 00:00 on 22 December in Tokyo
    const said = [midnightTokyo - 1, midnightTokyo - 1, midnightTokyo, midnightTokyo + 1].map((ms) => formatDate(ms, 'en-US', 'Asia/Tokyo'));
    expect(said).to.deep.equal(['December 21, 2026', 'December 21, 2026', 'December 22, 2026', 'December 22, 2026']);
    expect(formatDate(midnightTokyo, 'ja-JP', 'Asia/Tokyo')).to.equal('2026年12月22日');
    expect(formatDate(midnightTokyo, 'en-US', 'UTC')).to.equal('December 21, 2026');
  });

  it('amounts keep their currency and locale, remembered or not', () => {
    expect(formatAmount(300, 'JPY', 'en-US')).to.equal('¥300');
    expect(formatAmount(300, 'JPY', 'en-US')).to.equal('¥300');
    expect(formatAmount(300, 'JPY', 'ja-JP')).to.equal('￥300');
    expect(formatAmount(1500, 'USD', 'en-US')).to.equal('$1,500.00');
    expect(formatDateTime(Date.UTC(2026, 11, 21, 15, 30), 'en-US', 'Asia/Tokyo')).to.match(/^December 22, 2026 at 12:30\s?AM$/);
  });
});

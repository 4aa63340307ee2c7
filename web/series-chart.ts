// An entity's bytes sent and received in 10-second bins (uPlot), under the graph.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesAnswer } from '../api/graph.js';
import { formatBytes } from './format.js';

export class SeriesChart {
  private chart: uPlot | undefined;

  constructor(
    private readonly el: HTMLElement,
    private readonly title: HTMLElement,
  ) {}

  /** `why`: why this entity when it is not the one selected (shown in the title). */
  show(s: SeriesAnswer, why?: string): void {
    this.title.textContent = `${s.entity}${why ? ` (${why})` : ''}: bytes per 10 s`;
    const data: uPlot.AlignedData = [s.times, s.sent, s.received];
    if (this.chart) {
      this.chart.setData(data);
      return;
    }
    const bytes = (_u: uPlot, v: number | null) => (v == null ? '' : formatBytes(v));
    this.chart = new uPlot(
      {
        width: this.el.clientWidth || 800,
        height: 180,
        series: [
          {},
          { label: 'sent', stroke: '#3b7dd8', width: 2, value: bytes },
          { label: 'received', stroke: '#2a9d6a', width: 2, value: bytes },
        ],
        axes: [{}, { values: (_u, vals) => vals.map((v) => formatBytes(v)), size: 70 }],
      },
      data,
      this.el,
    );
  }
}

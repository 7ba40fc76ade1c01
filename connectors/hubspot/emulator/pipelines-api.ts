/**
 * The Pipelines API for deals (`GET /crm/v3/pipelines/deals`), as HubSpot documents it: every
 * pipeline with its stages, each stage's `id` being the value a deal's `dealstage` holds. The
 * emulator's portal has HubSpot's default "Sales Pipeline" (id `default`) with the stages its
 * `dealstage` property lists and its deals use; a test may add pipelines of its own.
 */
import { DEAL_STAGES } from './properties.js';
import { notFound, type Ctx, type Reply } from './http-support.js';

interface StageDef {
  id: string;
  label: string;
}

interface PipelineDef {
  id: string;
  label: string;
  stages: StageDef[];
  createdMs: number;
}

/** CHOSEN: HubSpot's default stages' win probabilities (the closed ones are 1.0 and 0.0). */
const PROBABILITY: Record<string, string> = {
  appointmentscheduled: '0.2', qualifiedtobuy: '0.4', presentationscheduled: '0.6', decisionmakerboughtin: '0.8', contractsent: '0.9', closedwon: '1.0', closedlost: '0.0',
};

export class DealPipelinesApi {
  private readonly pipelines: PipelineDef[];

  constructor(private readonly now: () => number) {
    this.pipelines = [{ id: 'default', label: 'Sales Pipeline', stages: DEAL_STAGES.map(([id, label]) => ({ id, label })), createdMs: now() }];
  }

  /** A pipeline someone created on the portal (Sales Hub Starter and up). */
  add(id: string, label: string, stages: ReadonlyArray<{ id: string; label: string }>): void {
    this.pipelines.push({ id, label, stages: stages.map((s) => ({ ...s })), createdMs: this.now() });
  }

  /** `GET /crm/v3/pipelines/deals`; other object types and paths answer 404 here. */
  route(ctx: Ctx): Reply {
    const s = ctx.segments;
    if (ctx.method !== 'GET' || s.length !== 4 || !['deals', 'deal', '0-3'].includes((s[3] ?? '').toLowerCase())) return notFound();
    return { status: 200, body: { results: this.pipelines.map((p, i) => this.json(p, i)) } };
  }

  private json(p: PipelineDef, order: number): Record<string, unknown> {
    const at = new Date(p.createdMs).toISOString();
    return {
      label: p.label,
      displayOrder: order,
      id: p.id,
      stages: p.stages.map((stage, i) => ({
        label: stage.label,
        displayOrder: i,
        metadata: {
          isClosed: String(stage.id === 'closedwon' || stage.id === 'closedlost'),
          probability: PROBABILITY[stage.id] ?? '0.5',
        },
        id: stage.id,
        createdAt: at,
        updatedAt: at,
        archived: false,
        writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
      })),
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
  }
}

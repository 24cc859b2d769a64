import { AllocatePanel } from './AllocatePanel'
import { RangesPanel } from './RangesPanel'
import { SimImportPanel } from './SimImportPanel'

export function InventoryPage() {
  return (
    <div className="page" data-testid="page-inventory">
      <h1>Inventory</h1>
      <p className="muted">Number ranges and SIM stock. Every import is one audited action.</p>
      <RangesPanel />
      <div className="grid two">
        <SimImportPanel />
        <AllocatePanel />
      </div>
    </div>
  )
}

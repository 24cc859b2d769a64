import { Component, type ReactNode } from 'react'
import { ErrorBox } from './Status'

/** Catches render errors so a bug shows a message instead of a blank page. Reset by changing `resetKey`. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error: unknown }> {
  state: { error: unknown } = { error: null }

  static getDerivedStateFromError(error: unknown) {
    return { error }
  }

  componentDidUpdate(prev: { resetKey?: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null })
  }

  render() {
    if (this.state.error)
      return (
        <ErrorBox
          error={this.state.error}
          title="This page failed to display"
          onRetry={() => this.setState({ error: null })}
        />
      )
    return this.props.children
  }
}

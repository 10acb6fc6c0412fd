<?php
/**
 * What the AI costs, where the site owner looks: the notice while rewriting waits on the monthly budget, and
 * the sums per month and per feed on the settings page.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Costs;

use ATAI\Admin\Settings_Page;
use ATAI\Costs;
use ATAI\Feeds;

/**
 * On every admin screen, for administrators: why rewriting waits, and what resumes it.
 *
 * @since 0.2.0
 */
function render_notice(): void {
	if ( ! current_user_can( 'manage_options' ) || ! Costs\paused() ) {
		return;
	}
	$settings = add_query_arg( 'page', Settings_Page\SLUG, admin_url( 'admin.php' ) );
	printf(
		'<div class="notice notice-warning atai-budget-notice"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p></div>',
		esc_html__( 'AI rewriting waits.', 'automationtools-ai' ),
		esc_html(
			sprintf(
				/* translators: 1: amount spent this month, 2: the monthly budget. */
				__( 'This month\'s AI budget is spent (%1$s of %2$s), so no feed is sent for rewriting. New entries stay in their feeds, nothing is posted without its rewrite, and they are rewritten when the budget is raised or the next month begins.', 'automationtools-ai' ),
				Costs\dollars( Costs\spent() ),
				Costs\dollars( Costs\budget_micros() )
			)
		),
		esc_url( $settings ),
		esc_html__( 'Change the budget', 'automationtools-ai' )
	);
}

/**
 * The settings page's cost section: this month against the budget, the last months, and this month by feed.
 *
 * @since 0.2.0
 */
function render_summary(): void {
	$budget = Costs\budget_micros();
	$spent  = Costs\spent();
	echo '<p class="atai-cost-month">' . esc_html(
		$budget
			/* translators: 1: amount spent, 2: budget. */
			? sprintf( __( 'This month: %1$s of the %2$s budget.', 'automationtools-ai' ), Costs\dollars( $spent ), Costs\dollars( $budget ) )
			/* translators: %s: amount spent. */
			: sprintf( __( 'This month: %s (no budget set).', 'automationtools-ai' ), Costs\dollars( $spent ) )
	) . '</p>';
	$months = Costs\by_month( 6 );
	if ( ! $months ) {
		echo '<p>' . esc_html__( 'No AI costs recorded yet.', 'automationtools-ai' ) . '</p>';
		return;
	}
	echo '<table class="widefat striped atai-costs"><thead><tr><th scope="col">' . esc_html__( 'Month', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Items', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Tokens', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'Cost', 'automationtools-ai' ) . '</th></tr></thead><tbody>';
	foreach ( $months as $month ) {
		$note = $month['unpriced'] ? ' ' . __( '(some models have no price)', 'automationtools-ai' ) : '';
		printf( '<tr><td>%1$s</td><td>%2$s</td><td>%3$s</td><td>%4$s</td></tr>', esc_html( $month['month'] ), esc_html( number_format_i18n( $month['items'] ) ), esc_html( number_format_i18n( $month['tokens'] ) ), esc_html( Costs\dollars( $month['micros'] ) . $note ) );
	}
	echo '</tbody></table>';
	$feeds = Feeds\all( 100, 0 );
	$sums  = Costs\by_feed( array_column( $feeds, 'id' ) );
	echo '<h3>' . esc_html__( 'By feed', 'automationtools-ai' ) . '</h3><table class="widefat striped atai-costs"><thead><tr><th scope="col">' . esc_html__( 'Feed', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'This month', 'automationtools-ai' ) . '</th><th scope="col">' . esc_html__( 'All time', 'automationtools-ai' ) . '</th></tr></thead><tbody>';
	foreach ( $feeds as $feed ) {
		printf( '<tr><td>%1$s</td><td>%2$s</td><td>%3$s</td></tr>', esc_html( '' !== $feed->title ? $feed->title : $feed->url ), esc_html( Costs\dollars( $sums[ $feed->id ]['month'] ) ), esc_html( Costs\dollars( $sums[ $feed->id ]['total'] ) ) );
	}
	echo '</tbody></table>';
}

<?php
/**
 * The check that lets HTML already in the worker's narrow shape skip wp_kses_post().
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Posts;

/**
 * is_narrow_html() must accept what the worker writes and refuse everything kses would have to change.
 */
final class NarrowHtmlTest extends TestCase {

	/**
	 * HTML exactly as the worker's sanitizer (nh3) wrote it for an article with every allowed construct.
	 */
	private const WORKER_OUTPUT = '<h2>Tides &amp; cranes</h2><p>The <strong>harbour</strong> cranes are back, says <a href="https://news.example.org/people/ines" title="Ines" rel="noopener noreferrer">Ines</a> — “finally”.</p>
<figure><img src="https://news.example.org/2026/img/crane.jpg" alt="A crane" width="640" height="320"><figcaption>Crane № 3</figcaption></figure>
<ul><li>One</li><li>Two &lt;three&gt;</li></ul><br><hr><table><thead><tr><th scope="col">Year</th></tr></thead><tbody><tr><td colspan="2">1998</td></tr></tbody></table>
<blockquote><p>Quote</p></blockquote><pre><code>x = 1 &amp;&amp; y</code></pre><p>Mail <a href="mailto:port@example.org" rel="noopener noreferrer">us</a>&nbsp;now.</p>';

	public function test_the_workers_output_is_narrow_and_kses_leaves_it_as_it_is(): void {
		$this->assertTrue( Posts\is_narrow_html( self::WORKER_OUTPUT ) );
		$this->assertSame( self::WORKER_OUTPUT, wp_kses_post( self::WORKER_OUTPUT ) );
	}

	public function test_a_long_article_of_that_shape_is_narrow(): void {
		$this->assertTrue( Posts\is_narrow_html( str_repeat( self::WORKER_OUTPUT, 200 ) ) );
	}

	/**
	 * HTML kses would change, or that a browser could read as more than the allowed tags.
	 *
	 * @return array<string, array{string}>
	 */
	public function out_of_shape_html(): array {
		return array(
			'script'                    => array( '<p>Hi</p><script>alert(1)</script>' ),
			'space before the tag name' => array( '<p>Hi</p>< script>alert(1)</script>' ),
			'event handler'             => array( '<img src="https://x.example/a.png" onerror="alert(1)">' ),
			'unquoted attribute'        => array( '<img src=https://x.example/a.png>' ),
			'single-quoted attribute'   => array( "<a href='https://x.example/'>x</a>" ),
			'style attribute'           => array( '<p style="background:url(javascript:alert(1))">x</p>' ),
			'javascript link'           => array( '<a href="javascript:alert(1)">x</a>' ),
			'upper-case scheme'         => array( '<a href="JAVASCRIPT:alert(1)">x</a>' ),
			'entity inside the scheme'  => array( '<a href="jav&#x09;ascript:alert(1)">x</a>' ),
			'space before the URL'      => array( '<a href=" javascript:alert(1)">x</a>' ),
			'relative link'             => array( '<a href="/about">x</a>' ),
			'data image'                => array( '<img src="data:image/svg+xml;base64,PHN2Zz4=">' ),
			'upper-case tag'            => array( '<P>x</P>' ),
			'comment'                   => array( '<p>x</p><!-- <script>alert(1)</script> -->' ),
			'iframe'                    => array( '<iframe src="https://x.example/"></iframe>' ),
			'svg'                       => array( '<svg onload="alert(1)"></svg>' ),
			'unknown attribute'         => array( '<p data-x="1">x</p>' ),
			'quote inside a value'      => array( '<a title="x" onmouseover="alert(1)" href="https://x.example/">x</a>' ),
			'angle bracket in a value'  => array( '<img alt="<script>" src="https://x.example/a.png">' ),
			'unclosed tag'              => array( '<p>x</p><img src="https://x.example/a.png"' ),
			'nested trick'              => array( '<scr<script>ipt>alert(1)</script>' ),
			'NUL byte'                  => array( "<p>x</p>\0<script>alert(1)</script>" ),
			'form'                      => array( '<form action="https://x.example/"><input name="q"></form>' ),
		);
	}

	/**
	 * @dataProvider out_of_shape_html
	 */
	public function test_html_outside_the_narrow_shape_is_refused( string $html ): void {
		$this->assertFalse( Posts\is_narrow_html( $html ) );
	}

	public function test_refused_html_is_cleaned_by_kses_on_import(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'narrow-1', array( 'content' => '<p>Hi <a href="https://x.example/" onclick="alert(1)">there</a></p><script>alert(2)</script>' ) );

		$post_id = current( \ATAI\Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'] );

		$content = get_post( $post_id )->post_content;
		$this->assertStringStartsWith( '<p>Hi <a href="https://x.example/">there</a></p>', $content );
		$this->assertStringNotContainsString( 'onclick', $content );
		$this->assertStringNotContainsString( '<script', $content );
	}
}
